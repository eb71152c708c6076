/**
 * Start-up benchmark of the gateway: launches the built binary several times per configuration and prints, as
 * medians, the time from process start to the ready line (as the gateway reports it, and as the launcher sees
 * it), the CPU time the process spent until then (from /proc: on a loaded machine it moves far less than the
 * wall-clock time) and the idle resident set size a moment after ready. Targets: ready within 300 ms, idle RSS
 * under 80 MB.
 *
 * `npm run perf` in apps/server (`node dist/bench-startup.js [--runs N] [--idle-ms MS] [--compare MAIN.js ...]`);
 * each `--compare` adds the default configuration of another build's `dist/main.js` to the same round-robin, so
 * two builds are measured side by side.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { delay } from "@modelwire/core";
import { FREE_PORT_ARGS } from "./free-ports.js";
import { GATEWAY_MAIN } from "./gateway-main.js";
import { parseReadyLine } from "./ready-line.js";

const TARGET_READY_MS = 300;
const TARGET_RSS_MB = 80;

interface Launch {
  startupMs: number;
  wallMs: number;
  /** CPU time (user + system) of the gateway process from its start to the ready line, NaN off Linux. */
  cpuMs: number;
  rssMb: number;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1 || v > 1000) {
    process.stderr.write(`--${name} must be an integer 1-1000\n`);
    process.exit(2);
  }
  return v;
}

const runs = arg("runs", 5);
/** Other builds' entries (`--compare PATH`, repeatable), measured in their default configuration. */
const compare = process.argv.flatMap((a, i) => (a === "--compare" && process.argv[i + 1] ? [process.argv[i + 1]] : []));
const idleMs = arg("idle-ms", 500);
const PORTS = [...FREE_PORT_ARGS, "--quiet"];

/** The same entry before bundling: ~400 ES modules resolved and loaded one by one at run time. */
const UNBUNDLED = fileURLToPath(new URL("./gateway-entry.js", import.meta.url));

const CONFIGS: { name: string; args: string[]; entry?: string }[] = [
  { name: "all protocols (default)", args: [] },
  { name: "http only", args: ["--no-connect", "--no-mcp"] },
  { name: "connect only", args: ["--no-http", "--no-mcp"] },
  { name: "mcp only", args: ["--no-http", "--no-connect"] },
  { name: "all, unbundled modules", args: [], entry: UNBUNDLED },
  ...compare.map((entry, i) => ({ name: `default, --compare ${i + 1}`, args: [], entry })),
];

function vmRssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time the process has run, from /proc/PID/schedstat (ns on the CPU), or NaN where there is none. */
function cpuMsOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

function launch(args: string[], entry = GATEWAY_MAIN): Promise<Launch> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const proc = spawn(process.execPath, [entry, ...PORTS, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`not ready within 20 s: ${err}`));
    }, 20_000);
    proc.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    proc.once("exit", (code) => {
      clearTimeout(timer);
      if (!out.includes("\n")) reject(new Error(`exited ${code} before ready: ${err}`));
    });
    proc.stdout.setEncoding("utf8").on("data", async (d: string) => {
      const had = out.includes("\n");
      out += d;
      if (had || !out.includes("\n")) return;
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      const cpuMs = cpuMsOf(proc.pid!);
      try {
        const ready = parseReadyLine(out.slice(0, out.indexOf("\n")));
        await delay(idleMs);
        const admin = ready.addresses.find((a) => a.protocol === "admin")?.url;
        const stats = admin
          ? ((await (await fetch(`${admin}/control/stats`)).json()) as { rssBytes: number })
          : undefined;
        // /proc is read first-hand; /control/stats is the fallback off Linux.
        const rssMb = vmRssMb(proc.pid!) ?? (stats ? stats.rssBytes / 2 ** 20 : Number.NaN);
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await exited;
        resolve({ startupMs: ready.startupMs, wallMs, cpuMs, rssMb });
      } catch (e) {
        proc.kill("SIGKILL");
        reject(e);
      }
    });
  });
}

/** A bare `node` that prints at once: the floor every launch pays before any of our code runs. */
function nodeFloor(): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["-e", "process.stdout.write(String(performance.now()))"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    proc.once("exit", () => (out ? resolve(Number(out)) : reject(new Error("no output"))));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const f1 = (x: number) => x.toFixed(1);
const floors: number[] = [];
for (let i = 0; i < runs; i++) floors.push(await nodeFloor());

console.log(`modelwire gateway start-up: ${runs} launches per configuration, idle RSS read ${idleMs} ms after ready`);
console.log(
  `node ${process.version}, ${cpus().length} cores, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}; ${GATEWAY_MAIN}`,
);
console.log("shared machine: figures are indicative; configurations run round-robin; CPU ms = CPU time to ready");
for (const [i, e] of compare.entries()) console.log(`--compare ${i + 1}: ${e}`);
console.log(`bare node to first line of user code: median ${f1(median(floors))} ms\n`);
console.log(
  `${"configuration".padEnd(26)}${"ready ms (median, min-max)".padEnd(30)}${"wall ms".padEnd(10)}${"CPU ms".padEnd(9)}${"idle RSS MB (median, min-max)".padEnd(32)}targets`,
);
// Round-robin over the configurations, so load from other processes on a shared machine spreads evenly.
const results = new Map<string, Launch[]>(CONFIGS.map((c) => [c.name, []]));
const failures = new Map<string, string>();
for (let i = 0; i < runs; i++) {
  for (const c of CONFIGS) {
    if (failures.has(c.name)) continue;
    try {
      results.get(c.name)!.push(await launch(c.args, c.entry));
    } catch (e) {
      failures.set(
        c.name,
        String((e as Error).message)
          .split("\n")[0]
          .slice(0, 120),
      );
    }
  }
}
let allMet = true;
for (const c of CONFIGS) {
  const failure = failures.get(c.name);
  const isDefault = c.args.length === 0 && !c.entry;
  if (failure) {
    console.log(`${c.name.padEnd(26)}failed: ${failure}`);
    if (isDefault) allMet = false;
    continue;
  }
  const rs = results.get(c.name)!;
  const ready = rs.map((r) => r.startupMs);
  const rss = rs.map((r) => r.rssMb);
  const wall = rs.map((r) => r.wallMs);
  const cpu = rs.map((r) => r.cpuMs);
  const met = median(ready) <= TARGET_READY_MS && median(rss) < TARGET_RSS_MB;
  if (isDefault) allMet = met;
  console.log(
    `${c.name.padEnd(26)}${`${f1(median(ready))} (${f1(Math.min(...ready))}-${f1(Math.max(...ready))})`.padEnd(30)}` +
      `${f1(median(wall)).padEnd(10)}${f1(median(cpu)).padEnd(9)}${`${f1(median(rss))} (${f1(Math.min(...rss))}-${f1(Math.max(...rss))})`.padEnd(32)}` +
      `${median(ready) <= TARGET_READY_MS ? "ready ok" : "ready MISSED"}, ${median(rss) < TARGET_RSS_MB ? "rss ok" : "rss MISSED"}`,
  );
}
console.log(
  `\ntargets: ready <= ${TARGET_READY_MS} ms, idle RSS < ${TARGET_RSS_MB} MB: default configuration ${allMet ? "met" : "MISSED"}`,
);
console.log(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
