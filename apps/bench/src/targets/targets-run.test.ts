import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SpawnedStandIn, spawnOllamaStandIn } from "@modelwire/test-kit/ollama";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { BenchResult } from "../result.js";
import { ExitCode } from "../slo.js";
import { QUICK, runCli } from "../test-support/run-cli.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "bench-targets-"));
  dirs.push(d);
  return d;
}

// The stand-in Ollama runs as its own process: its timers never share the load generator's event loop.
let standin: SpawnedStandIn;
beforeAll(async () => {
  standin = await spawnOllamaStandIn({ ttftMs: 10, interTokenMs: 2, tokensPerChunk: 4, models: ["tiny:1b"] });
}, 30_000);
afterAll(async () => {
  await standin?.close();
});

describe("bench --target http= against a stand-in Ollama", () => {
  it("measures it as a foreign server: overhead from its durations, tokens from eval_count, consistency checked", async () => {
    const out = join(await tmp(), "reports");
    const { code, stderr } = await runCli([
      "--target",
      `http=${standin.url}`,
      "--concurrency",
      "2",
      "--tokens",
      "12",
      "--out",
      out,
      ...QUICK,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(ExitCode.Ok);
    const r = JSON.parse(await readFile(join(out, "bench.json"), "utf8")) as BenchResult;
    expect(r.transports.map((t) => t.name)).toEqual(["http"]);
    expect(r.processes).toEqual([]); // nothing spawned
    expect(r.targets).toEqual([
      { transport: "http", address: standin.url, role: "target", model: "tiny:1b", serverMeasured: false },
    ]);
    const s = r.scenarios[0].summaries[0];
    expect(s.merged.ok).toBeGreaterThan(2);
    // 12 tokens in chunks of 4: tokens come from eval_count, chunks are counted apart.
    expect(s.merged.tokens).toBe(12 * s.merged.ok);
    expect(s.merged.chunks).toBe(3 * s.merged.ok);
    expect(s.figures.tokensPerChunk.median).toBe(4);
    expect(s.merged.overhead.reported).toBe(s.merged.ok);
    expect(s.figures.overheadP50.median).toBeGreaterThan(0);
    // Its server cost is not measured: NaN in the JSON (null), never a zero; bytes counted on the client.
    const w = r.scenarios[0].windows[0];
    expect(w.cost.serverMeasured).toBe(false);
    expect(w.cost.serverCpuPerRequestUs).toBeNull();
    expect(w.cost.bytesCountedOn).toBe("client");
    expect(w.cost.bytesPerRequest).toBeGreaterThan(200);
    expect(r.verification.mode).toBe("consistency");
    expect(r.verification.consistency?.inconsistent).toBe(0);
    expect(r.verification.consistency?.streams).toBe(s.merged.ok);
    const md = await readFile(join(out, "bench.md"), "utf8");
    expect(md).toContain("server cost not measured (foreign server)");
    expect(md).toContain("Verification mode: consistency");
    expect(md.indexOf("## Recommendation")).toBeLessThan(md.indexOf("## What the wire and the gateway add"));
    expect(md.indexOf("## What the wire and the gateway add")).toBeLessThan(md.indexOf("\n## target\n"));
  }, 60_000);

  it("exits 3 when one token of one reply differs (the stand-in corrupts its 3rd completion)", async () => {
    const bad = await spawnOllamaStandIn({ corruptRequest: 3, defaultTokens: 8 });
    try {
      const d = await tmp();
      const out = join(d, "reports");
      // Two distinct prompts, so each is sent many times and the corrupted reply has a twin to differ from; no
      // warm-up, so the corrupted reply is among the measured ones.
      const scenario = join(d, "two-prompts.json");
      await writeFile(scenario, JSON.stringify({ name: "two-prompts", workload: { distinctPrompts: 2 } }));
      const { code } = await runCli([
        "--target",
        `http=${bad.url}`,
        "--scenario",
        scenario,
        "--concurrency",
        "1",
        "--out",
        out,
        ...QUICK,
        "--warmup",
        "0",
        // Six requests (prompts 0, 1, 0, 1, …) however slow the machine: the 3rd repeats the 1st.
        "--duration",
        "20s",
        "--requests",
        "6",
      ]);
      expect(code).toBe(ExitCode.VerificationFailed);
      const r = JSON.parse(await readFile(join(out, "bench.json"), "utf8")) as BenchResult;
      expect(r.verification.consistency?.inconsistent).toBe(1);
      const e = r.verification.consistency?.examples[0];
      expect(e?.text).toContain("~corrupted");
      expect(e?.firstText).not.toContain("~corrupted");
      expect((await readFile(join(out, "bench.md"), "utf8")).replace(/\s+/g, " ")).toMatch(
        /Different text in two-prompts .* on http from character \d+/,
      );
      expect(r.recommendation.join("\n")).toMatch(/Cross-wire consistency FAILED: 1 of/);
    } finally {
      await bad.close();
    }
  }, 60_000);
});

describe("bad targets: a clear error naming the flag, and nothing written", () => {
  async function expectRefused(args: string[], exit: number, message: RegExp) {
    const d = await tmp();
    const out = join(d, "reports");
    const { code, stderr } = await runCli([...args, "--out", out, "--jsonl", join(d, "log.jsonl"), ...QUICK]);
    expect(stderr).toMatch(message);
    expect(code).toBe(exit);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(d, "log.jsonl"))).toBe(false);
  }

  it("an unreachable target: exit 4", async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r())); // a port nothing listens on
    await expectRefused(
      ["--target", `http=http://127.0.0.1:${port}`],
      ExitCode.RunFailed,
      new RegExp(`--target http=http://127.0.0.1:${port}: cannot reach it`),
    );
  }, 30_000);

  it("a server that is not Ollama-compatible: exit 2", async () => {
    const s = createServer((_req, res) => {
      res.writeHead(404, { "content-type": "text/html" });
      res.end("<html><body>Not Found</body></html>");
    });
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    try {
      await expectRefused(
        ["--target", `http=${url}`],
        ExitCode.Usage,
        /--target http=.*: does not answer as an Ollama-compatible server/,
      );
    } finally {
      await new Promise<void>((r) => s.close(() => r()));
    }
  }, 30_000);

  it("a model it does not have: exit 2 naming --model and what it has", async () => {
    await expectRefused(
      ["--target", `http=${standin.url}`, "--model", "llama3.2"],
      ExitCode.Usage,
      /--model llama3.2: --target http=.* does not have it \(it lists: tiny:1b\)/,
    );
  }, 30_000);

  it("an engine knob with a foreign target: exit 2", async () => {
    await expectRefused(
      ["--target", `http=${standin.url}`, "--ttft-ms", "5"],
      ExitCode.Usage,
      /--ttft-ms: engine knobs/,
    );
  });
});
