/**
 * The stand-in Ollama as its own process: `node --import tsx packages/test-kit/src/ollama/main.ts [flags]`.
 * Prints one ready line `{"event":"ready","url":"http://127.0.0.1:PORT","pid":N}` on stdout once it listens;
 * SIGTERM or SIGINT stops it. Flags (every delay in ms): --host, --port, --models a,b, --ttft-ms, --inter-token-ms,
 * --tokens-per-chunk, --tokens, --load-ms, --parallel, --corrupt-request N, --version, --stall-after N.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type OllamaStandInOptions, startOllamaStandIn } from "./standin.js";

function num(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`${flag} must be a number >= ${min}, got "${v}"`);
  return n;
}

/** Parses the stand-in's flags. Throws naming the flag. */
export function parseStandInArgs(argv: readonly string[]): OllamaStandInOptions {
  const { values: v } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      models: { type: "string" },
      "ttft-ms": { type: "string" },
      "inter-token-ms": { type: "string" },
      "tokens-per-chunk": { type: "string" },
      tokens: { type: "string" },
      "load-ms": { type: "string" },
      parallel: { type: "string" },
      "corrupt-request": { type: "string" },
      version: { type: "string" },
      "stall-after": { type: "string" },
    },
  });
  const out: OllamaStandInOptions = {
    host: v.host,
    port: num(v.port, "--port", 0),
    models: v.models
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    ttftMs: num(v["ttft-ms"], "--ttft-ms", 0),
    interTokenMs: num(v["inter-token-ms"], "--inter-token-ms", 0),
    tokensPerChunk: num(v["tokens-per-chunk"], "--tokens-per-chunk", 1),
    defaultTokens: num(v.tokens, "--tokens", 1),
    loadMs: num(v["load-ms"], "--load-ms", 0),
    parallel: num(v.parallel, "--parallel", 1),
    corruptRequest: num(v["corrupt-request"], "--corrupt-request", 1),
    version: v.version,
    stallAfter: num(v["stall-after"], "--stall-after", 0),
  };
  return Object.fromEntries(Object.entries(out).filter(([, x]) => x !== undefined)) as OllamaStandInOptions;
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"));
if (isMain) {
  try {
    const s = await startOllamaStandIn(parseStandInArgs(process.argv.slice(2)));
    process.stdout.write(`${JSON.stringify({ event: "ready", url: s.url, pid: process.pid })}\n`);
    const stop = () => void s.close().then(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  } catch (e) {
    process.stderr.write(`standin: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
