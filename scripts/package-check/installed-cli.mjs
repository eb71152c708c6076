/**
 * The installed `modelwire` command, as a stranger gets it (issue 22): in a project where only the packed tarballs
 * were installed with `npm install --omit=dev`, `npx --no-install modelwire --help`, then `modelwire serve` on free
 * ports until its ready line (start-up time from the line, idle RSS from /proc half a second later), then one short
 * `modelwire bench` against that gateway (`--target http=…` when the bench has it, else a bench that starts its own
 * gateway from the installed package), then SIGTERM: the gateway must drain and exit 0. Every step is bounded.
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

  const benchHelp = run(["bench", "--help"], 60_000);
  const hasTarget = benchHelp.stdout?.includes("--target");
  const benchArgs = hasTarget
    ? ["bench", "--target", `http=${http}`, "--duration", "1s", "--repeats", "1", "--quiet", "--out", "bench-report"]
    : [
        "bench",
        "--transports",
        "http,mcp-tcp",
        "--duration",
        "1s",
        "--repeats",
        "1",
        "--quiet",
        "--out",
        "bench-report",
      ];
  figures.bench = benchArgs.join(" ");
  const bench = run(benchArgs, 180_000);
  if (bench.status !== 0) {
    problems.push(
      `modelwire ${benchArgs.join(" ")} exited ${bench.status ?? bench.signal}:\n${bench.stdout}${bench.stderr}`,
    );
  } else {
    try {
      const report = JSON.parse(readFileSync(join(consumer, "bench-report", "bench.json"), "utf8"));
      if (!report || typeof report !== "object") problems.push("bench-report/bench.json is not a JSON object");
    } catch (e) {
      problems.push(`modelwire bench exited 0 but wrote no readable bench-report/bench.json: ${e.message}`);
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
