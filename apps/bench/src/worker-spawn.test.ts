import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { startFleet } from "./fleet.js";
import { presetScenario } from "./presets.js";
import { createProgress } from "./progress.js";
import { runBench } from "./runner.js";
import { parseSlos } from "./slo.js";
import { selectTransports } from "./transports.js";
import { parseCpuList, parseWorkerFlags } from "./worker-spawn.js";

const fail = (m: string): never => {
  throw new Error(m);
};

/** Whether `taskset -c 0` can run here (util-linux installed, CPU 0 allowed). */
const tasksetWorks = spawnSync("taskset", ["-c", "0", "true"]).status === 0;

const scenario = presetScenario("protocol-overhead", { durationMs: 400, warmupMs: 100, maxRequests: 100_000 });

describe("worker processes (--worker-mode process, --client-cpus)", () => {
  it("parses CPU lists and refuses malformed ones", () => {
    expect(parseCpuList("0")).toEqual([0]);
    expect(parseCpuList("2-4,1,3")).toEqual([2, 3, 4, 1]);
    for (const bad of ["", "a", "3-1", "1,,2", "0-2000", "-1"]) expect(parseCpuList(bad)).toBeUndefined();
  });

  it("reads the flags: pinning needs processes, the per-request log needs the in-process generator", () => {
    expect(parseWorkerFlags({ "worker-mode": "process", "client-cpus": "1-2" }, 2, fail)).toEqual({
      workerMode: "process",
      clientCpus: [1, 2],
    });
    expect(parseWorkerFlags({}, 1, fail)).toEqual({});
    expect(() => parseWorkerFlags({ "worker-mode": "fork" }, 2, fail)).toThrow("thread or process");
    expect(() => parseWorkerFlags({ "client-cpus": "1" }, 2, fail)).toThrow("add --worker-mode process");
    expect(() => parseWorkerFlags({ "worker-mode": "process", "client-cpus": "x" }, 2, fail)).toThrow("CPU list");
    expect(() => parseWorkerFlags({ "worker-mode": "process", jsonl: "o.jsonl" }, 1, fail)).toThrow("--jsonl");
    expect(() => parseWorkerFlags({ jsonl: "o.jsonl" }, 2, fail)).toThrow("--jsonl");
  });

  it("runs a window on two worker processes and merges their histograms; their CPU is counted", async () => {
    const r = await runBench({
      scenarios: [scenario],
      transports: selectTransports("echo"),
      repeats: 1,
      slos: parseSlos("error_rate<1%"),
      workers: 2,
      workerMode: "process",
      progress: createProgress({ quiet: true }),
    });
    const s = r.scenarios[0].summaries[0];
    expect(s.merged.ok).toBeGreaterThan(10);
    expect(s.merged.verify).toMatchObject({ failedStreams: 0, lost: 0 });
    expect(s.merged.summaries.e2e.count).toBe(s.merged.ok);
    const w = r.scenarios[0].windows[0];
    expect(w.load.peakInFlight).toBe(16);
    // The parent only waits; the requests' CPU is the workers', reported by them and added.
    expect(w.generator.cpuMicros).toBeGreaterThan(0);
    expect(w.cost.generatorCpuPerRequestUs).toBeGreaterThan(0);
    expect(r.exitCode).toBe(0);
  }, 120_000);

  it.skipIf(!tasksetWorks)(
    "pins each worker process to its CPU (taskset), as the process itself reads it",
    async () => {
      const fleet = await startFleet(
        {
          transports: selectTransports("echo"),
          scenarios: [scenario],
          seed: 42,
          workers: 2,
          workerMode: "process",
          clientCpus: [0],
        },
        createProgress({ quiet: true }),
      );
      try {
        const pool = fleet.active[0].pool!;
        expect(pool.mode).toBe("process");
        const w = await pool.run(scenario, {
          durationMs: 200,
          maxRequests: 100_000,
          goodput: {},
          warmup: false,
          mode: { engine: "synthetic" },
        });
        expect(w.processCpu?.cpus).toEqual(["0", "0"]);
        expect(w.run.requests).toBe(w.load.completed);
      } finally {
        await fleet.close();
      }
    },
    60_000,
  );

  it.skipIf(!tasksetWorks)(
    "a worker process that cannot start fails the run with the reason, without hanging",
    async () => {
      const fleet = await startFleet(
        {
          transports: selectTransports("echo"),
          scenarios: [scenario],
          seed: 42,
          workers: 1,
          workerMode: "process",
          clientCpus: [1023], // no such CPU: taskset refuses and exits
        },
        createProgress({ quiet: true }),
      );
      try {
        await expect(
          fleet.active[0].pool!.run(scenario, {
            durationMs: 100,
            maxRequests: 10,
            goodput: {},
            warmup: false,
            mode: { engine: "synthetic" },
          }),
        ).rejects.toThrow(/worker process \d+ exited \(code 1\).*taskset/);
      } finally {
        await fleet.close();
      }
    },
    60_000,
  );
});
