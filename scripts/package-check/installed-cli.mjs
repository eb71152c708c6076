/**
 * The installed `modelwire` command, as a stranger gets it (issue 22): in a project where only the packed tarballs
 * were installed with `npm install --omit=dev`, `npx --no-install modelwire --help`, then `modelwire serve` on free
 * ports until its ready line (start-up time from the line, idle RSS from /proc half a second later), then one short
 * `modelwire bench --target http=…` against that gateway (its report must name the gateway and the gateway's
 * /control/stats must have served the bench's requests), then SIGTERM: the gateway must drain and exit 0. Every
 * step is bounded.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Parses the gateway's ready line (one JSON object with `event: "ready"`), or undefined for any other line. */
export function readyOf(line) {
  try {
    const v = JSON.parse(line);
    return v && v.event === "ready" && Array.isArray(v.addresses) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What is wrong with a `modelwire bench --target http=URL` report against the served gateway: the report must name
 * `url` as its http target, its window must have completed requests without errors, and the gateway's own
 * `/control/stats` must have served at least that many engine requests (so the bench really went through it).
 * @param {any} report bench.json
 * @param {string} url the gateway's http address
 * @param {any} stats the gateway's /control/stats after the bench
 * @returns {string[]}
 */
export function targetProblems(report, url, stats) {
  const problems = [];
  const target = report?.targets?.find?.((t) => t.transport === "http");
  if (target?.address !== url) {
    problems.push(`bench.json names http target ${target?.address ?? "none"}, not the served gateway ${url}`);
  }
  const windows = (report?.scenarios ?? []).flatMap((s) => s.windows ?? []).filter((w) => w.transport === "http");
  const requests = windows.reduce((n, w) => n + (w.run?.requests ?? 0), 0);
  const ok = windows.reduce((n, w) => n + (w.run?.ok ?? 0), 0);
  if (requests === 0) problems.push("bench.json has no completed http request against the served gateway");
  if (ok !== requests) problems.push(`bench.json: ${requests - ok} of ${requests} http requests failed`);
  const served = stats?.engine?.requests;
  if (typeof served !== "number" || served < requests) {
    problems.push(`the served gateway counted ${served} engine requests, fewer than the bench's ${requests}`);
  }
  return problems;
}

/** Resident set size of `pid` in MB from /proc (undefined where there is no /proc). */
function rssMb(pid) {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/**
 * Runs the checks in `consumer` (a directory with node_modules/.bin/modelwire). Resolves to the problems found and
 * what was measured.
 * @param {string} consumer
 * @returns {Promise<{ problems: string[], figures: Record<string, number | string | undefined> }>}
 */
export async function checkInstalledCli(consumer) {
  const problems = [];
  const figures = {};
  const bin = join(consumer, "node_modules", ".bin", "modelwire");
  const run = (args, timeout) => spawnSync(bin, args, { cwd: consumer, encoding: "utf8", timeout });

  const help = spawnSync("npx", ["--no-install", "modelwire", "--help"], {
    cwd: consumer,
    encoding: "utf8",
    timeout: 60_000,
  });
  if (help.status !== 0 || !help.stdout.includes("Usage: modelwire")) {
    problems.push(
      `npx --no-install modelwire --help exited ${help.status ?? help.signal}:\n${help.stdout}${help.stderr}`,
    );
  }

  const serve = spawn(
    bin,
    ["serve", "--http-port", "0", "--connect-port", "0", "--mcp-port", "0", "--admin-port", "0"],
    {
      cwd: consumer,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  serve.stderr.setEncoding("utf8").on("data", (s) => {
    stderr = (stderr + s).slice(-4000);
  });
  const exited = new Promise((resolve) => serve.once("exit", (code, signal) => resolve(code ?? signal)));
  const ready = await new Promise((resolve) => {
    let buffered = "";
    const timer = setTimeout(() => resolve(undefined), 30_000);
    serve.stdout.setEncoding("utf8").on("data", (s) => {
      buffered += s;
      for (const line of buffered.split("\n")) {
        const r = readyOf(line);
        if (r) {
          clearTimeout(timer);
          resolve(r);
        }
      }
    });
    exited.then(() => resolve(undefined));
  });
  if (!ready) {
    problems.push(`modelwire serve printed no ready line within 30 s; stderr:\n${stderr}`);
    serve.kill("SIGKILL");
    return { problems, figures };
  }
  figures.serveStartupMs = ready.startupMs;
  await new Promise((r) => setTimeout(r, 500));
  figures.serveIdleRssMb = rssMb(serve.pid);
  const http = ready.addresses.find((a) => a.protocol === "http")?.url;

  const admin = ready.addresses.find((a) => a.protocol === "admin")?.url;
  const benchArgs = ["bench", "--target", `http=${http}`, "--duration", "1s", "--repeats", "1", "--quiet"];
  benchArgs.push("--out", "bench-report");
  figures.bench = `modelwire ${benchArgs.join(" ")}`;
  const bench = run(benchArgs, 180_000);
  if (bench.status !== 0) {
    problems.push(`${figures.bench} exited ${bench.status ?? bench.signal}:\n${bench.stdout}${bench.stderr}`);
  } else {
    let report;
    try {
      report = JSON.parse(readFileSync(join(consumer, "bench-report", "bench.json"), "utf8"));
    } catch (e) {
      problems.push(`${figures.bench} exited 0 but wrote no readable bench-report/bench.json: ${e.message}`);
    }
    let stats;
    try {
      const res = await fetch(`${admin}/control/stats`, { signal: AbortSignal.timeout(10_000) });
      stats = await res.json();
    } catch (e) {
      problems.push(`the served gateway's ${admin}/control/stats could not be read after the bench: ${e.message}`);
    }
    if (report !== undefined && stats !== undefined) {
      problems.push(...targetProblems(report, http, stats));
      figures.benchRequests = report.scenarios?.[0]?.windows?.[0]?.run?.requests;
      figures.gatewayRequests = stats.engine?.requests;
    }
  }

  serve.kill("SIGTERM");
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("no exit within 15 s"), 15_000))]);
  if (code !== 0) {
    problems.push(`modelwire serve exited ${code} after SIGTERM (expected 0); stderr:\n${stderr}`);
    serve.kill("SIGKILL");
  }
  return { problems, figures };
}
