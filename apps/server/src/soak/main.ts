import { parseArgs } from "node:util";
import { intFlag } from "../test-support/int-flag.js";
import { formatSoak, runSoak, soakFailed } from "./soak.js";

/**
 * `npm run soak [-- --tokens N --seconds S --http N --grpc N --mcp N --per-stream N --sample-s S --even]`: streams verified
 * tokens through the built gateway on every wire side by side (`--http`, `--grpc`, `--mcp`: streams in flight on
 * each, default 4, 4 and 16) until the token or time budget is spent (defaults: 10,000,000 tokens, 600 s), printing
 * RSS and open descriptors as it goes; `--even` splits the token budget evenly between the wires (each stops at its
 * share) instead of one shared budget. Exits 1 on a lost, duplicated, reordered or mismatched token, a stream left
 * short, or a crash.
 */
const { values } = parseArgs({
  options: {
    tokens: { type: "string", default: "10000000" },
    seconds: { type: "string", default: "600" },
    http: { type: "string", default: "4" },
    grpc: { type: "string", default: "4" },
    mcp: { type: "string", default: "16" },
    "per-stream": { type: "string", default: "2000" },
    "sample-s": { type: "string", default: "5" },
    even: { type: "boolean", default: false },
  },
});
const result = await runSoak({
  tokens: intFlag("tokens", values.tokens, 1),
  seconds: intFlag("seconds", values.seconds, 1),
  streams: {
    http: intFlag("http", values.http, 0),
    connect: intFlag("grpc", values.grpc, 0),
    mcp: intFlag("mcp", values.mcp, 0),
  },
  evenShares: values.even,
  tokensPerStream: intFlag("per-stream", values["per-stream"], 1),
  sampleSeconds: intFlag("sample-s", values["sample-s"], 1),
  onSample: (s) =>
    console.log(`  t=${s.atSeconds}s tokens ${s.tokens} rss ${(s.rssBytes / 2 ** 20).toFixed(1)} MiB fds ${s.fds}`),
});
console.log(formatSoak(result));
process.exit(soakFailed(result) ? 1 : 0);
