#!/usr/bin/env node
/**
 * Before/after, side by side in one run: `modelwire bench` against the gateway built from a base commit and against
 * this checkout's gateway, rounds interleaved (base, head, head, base, ...), the same load generator (this
 * checkout's bench and clients) and the same echo and grpc-js reference processes in both halves. Prints one
 * table per figure, base beside head, with the issue-20 ratios (MCP server CPU per token and tokens/s against the
 * echo floor, MCP bytes per token against connect-grpc, Connect and gRPC-Web req/s against the grpc-js pair).
 *
 *   node scripts/bench-vs-base.mjs --base REF [--base-dir DIR] [--rounds N] [--out DIR] [--whole-base] -- BENCH ARGS...
 *
 * The base is checked out as a detached worktree in DIR (default /tmp/mw-base-<short sha>), installed (`npm ci`)
 * and built there unless DIR already holds a build. BENCH ARGS go to every run (with `--repeats 1`, `--quiet`,
 * `--gateway` and `--out` added); run it under the measurement lock: `/work/tools/quiet node scripts/...`.
 * The clients are this checkout's: features a newer client offers and an older gateway does not announce (the
 * MCP compact DATA encoding, say) stay off against the base, as they would with any older peer. With
 * `--whole-base` the base rounds run the base checkout's own bench instead (its clients, load generator and echo
 * and grpc-js reference processes): the before/after of a change to the clients or the bench itself.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const sep = argv.indexOf("--");
const own = sep < 0 ? argv : argv.slice(0, sep);
const benchArgs = sep < 0 ? [] : argv.slice(sep + 1);
const opt = (name, d) => {
  const i = own.indexOf(name);
  return i >= 0 && i + 1 < own.length ? own[i + 1] : d;
};
const base = opt("--base");
if (!base) {
  console.error(
    "usage: bench-vs-base.mjs --base REF [--base-dir DIR] [--rounds N] [--out DIR] [--whole-base] -- BENCH ARGS...",
  );
  process.exit(2);
}
const rounds = Math.min(Math.max(1, Number(opt("--rounds", "3"))), 9);
const wholeBase = own.includes("--whole-base");
const sha = execFileSync("git", ["-C", root, "rev-parse", "--short", base], { encoding: "utf8" }).trim();
const head = execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
const baseDir = resolve(opt("--base-dir", `/tmp/mw-base-${sha}`));
const out = resolve(opt("--out", `/tmp/mw-vs-base-${sha}-${head}`));
const gw = (dir) => join(dir, "apps/server/dist/main.js");

function sh(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd} (exit ${r.status})`);
}

if (!existsSync(gw(baseDir))) {
  if (!existsSync(baseDir)) sh("git", ["-C", root, "worktree", "add", "--detach", baseDir, base], root);
  sh("npm", ["ci", "--no-audit", "--no-fund"], baseDir);
  sh("npx", ["turbo", "run", "build", "--output-logs=errors-only"], baseDir);
}
if (!existsSync(gw(root))) sh("npx", ["turbo", "run", "build", "--output-logs=errors-only"], root);

const FIGS = [
  ["rps", "req/s", 0],
  ["tokensPerSec", "tokens/s", 0],
  ["ttftP50", "TTFT p50 ms", 1],
  ["gapP99", "chunk gap p99 ms", 2],
  ["serverCpuPerTokenUs", "server CPU µs/token", 2],
  ["bytesPerToken", "bytes/token", 1],
  ["generatorCpuPerRequestUs", "generator CPU µs/req", 0],
];
/** variant → transport → figure → values (one per round) */
const got = { base: {}, head: {} };
const started = new Date().toISOString();
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadStart = load();
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ["base", "head"] : ["head", "base"];
  for (const v of order) {
    const dir = join(out, `${v}-${r + 1}`);
    mkdirSync(dir, { recursive: true });
    const gateway = gw(v === "base" ? baseDir : root);
    const benchRoot = v === "base" && wholeBase ? baseDir : root;
    const cli = join(benchRoot, "apps/cli/bin/modelwire.js");
    const args = [cli, "bench", ...benchArgs, "--repeats", "1", "--quiet", "--gateway", gateway, "--out", dir];
    console.error(`round ${r + 1}/${rounds}: ${v} (${v === "base" ? sha : head})`);
    const res = spawnSync(process.execPath, args, { cwd: benchRoot, stdio: ["ignore", "inherit", "inherit"] });
    if (res.status !== 0 && res.status !== 1) throw new Error(`bench exited ${res.status} (${v}, round ${r + 1})`);
    const j = JSON.parse(readFileSync(join(dir, "bench.json"), "utf8"));
    for (const s of j.scenarios[0].summaries) {
      if (!got[v][s.transport]) got[v][s.transport] = {};
      const t = got[v][s.transport];
      for (const [k] of FIGS) {
        if (!t[k]) t[k] = [];
        t[k].push(s.figures?.[k]?.median ?? Number.NaN);
      }
    }
  }
}

const median = (xs) => {
  const a = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  if (a.length === 0) return Number.NaN;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};
const fmt = (x, d) =>
  Number.isFinite(x) ? x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }) : "-";
const val = (v, t, k) => median(got[v][t]?.[k] ?? []);
console.log(
  `# ${wholeBase ? "bench, clients and gateway" : "gateway"} ${sha} (base) vs ${head} (head), ${rounds} interleaved round(s)`,
);
console.log(`started ${started}, loadavg ${loadStart} at the start, ${load()} at the end`);
console.log(`bench args: ${benchArgs.join(" ")}  (each run: --repeats 1; medians over the rounds)\n`);
const transports = Object.keys(got.head);
console.log(`| transport | ${FIGS.map(([, n]) => `${n} base | head`).join(" | ")} |`);
console.log(`|---|${FIGS.map(() => "--:|--:").join("|")}|`);
for (const t of transports) {
  console.log(
    `| ${t} | ${FIGS.map(([k, , d]) => `${fmt(val("base", t, k), d)} | ${fmt(val("head", t, k), d)}`).join(" | ")} |`,
  );
}
const ratio = (v, a, b, k) => val(v, a, k) / val(v, b, k);
const lines = [
  ["MCP server CPU/token vs echo", "mcp-tcp", "echo", "serverCpuPerTokenUs"],
  ["MCP tokens/s vs echo", "mcp-tcp", "echo", "tokensPerSec"],
  ["MCP bytes/token vs connect-grpc", "mcp-tcp", "connect-grpc", "bytesPerToken"],
  ["Connect req/s vs grpc-js", "connect", "grpc-js", "rps"],
  ["gRPC-Web req/s vs grpc-js", "grpc-web", "grpc-js", "rps"],
];
console.log("\n| figure | base | head |\n|---|--:|--:|");
for (const [name, a, b, k] of lines) {
  if (!got.head[a] || !got.head[b]) continue;
  console.log(`| ${name} | ${fmt(ratio("base", a, b, k), 2)}× | ${fmt(ratio("head", a, b, k), 2)}× |`);
}
console.log(`\nreports: ${out}/{base,head}-N/bench.md`);
