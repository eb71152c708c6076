import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { describe, expect, it } from "vitest";
import type { BenchResult } from "./result.js";
import { ExitCode } from "./slo.js";
import type { SessionWork } from "./stream-call.js";
import { QUICK, runCli } from "./test-support/run-cli.js";
import { tempDirsAfterEach } from "./test-support/temp-dirs.js";
import { createWorkSource, DEFAULT_WORKLOAD } from "./workload.js";
import { parseLengthDist, parseShapeFlags, sampleLength } from "./workload-shape.js";

const tempDir = tempDirsAfterEach();

describe("length distributions", () => {
  it("parses N, uniform:MIN-MAX and normal:MEAN,SD, and names the flag on bad input", () => {
    expect(parseLengthDist("64", "--prompt-dist", 1, 100)).toEqual({ dist: "fixed", value: 64 });
    expect(parseLengthDist("uniform:8-32", "--prompt-dist", 1, 100)).toEqual({ dist: "uniform", min: 8, max: 32 });
    expect(parseLengthDist("normal:50,10", "--output-dist", 1, 100)).toMatchObject({
      dist: "normal",
      mean: 50,
      sd: 10,
    });
    expect(() => parseLengthDist("uniform:32-8", "--prompt-dist", 1, 100)).toThrow(/--prompt-dist: .*MIN <= MAX/);
    expect(() => parseLengthDist("uniform:0-8", "--prompt-dist", 1, 100)).toThrow(
      /--prompt-dist: "0" is not an integer in \[1, 100\]/,
    );
    expect(() => parseLengthDist("zipf:2", "--output-dist", 1, 100)).toThrow(/--output-dist: expected N, uniform/);
    expect(() => parseShapeFlags({ "think-ms": "5" })).toThrow(/--think-ms .* add --chat-turns/);
    expect(() => parseShapeFlags({ "chat-turns": "0" })).toThrow(/--chat-turns must be an integer in \[1, 1000\]/);
  });

  it("samples the same lengths for a seed, inside the bounds, spread over the range", () => {
    const u = { dist: "uniform", min: 10, max: 20 } as const;
    const a = Array.from({ length: 2000 }, (_, i) => sampleLength(u, 0, 42, i));
    expect(Array.from({ length: 2000 }, (_, i) => sampleLength(u, 0, 42, i))).toEqual(a);
    expect(Math.min(...a)).toBe(10);
    expect(Math.max(...a)).toBe(20);
    expect(new Set(a).size).toBe(11);
    const n = Array.from({ length: 4000 }, (_, i) => sampleLength({ dist: "normal", mean: 100, sd: 10 }, 0, 7, i));
    const mean = n.reduce((x, y) => x + y, 0) / n.length;
    const sd = Math.sqrt(n.reduce((x, y) => x + (y - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean - 100)).toBeLessThan(1);
    expect(Math.abs(sd - 10)).toBeLessThan(1);
    expect(sampleLength(undefined, 64, 1, 3)).toBe(64);
  });

  it("gives each distinct prompt its drawn lengths, and the expected tokens follow them", () => {
    const work = createWorkSource({
      ...DEFAULT_WORKLOAD,
      distinctPrompts: 50,
      promptLength: { dist: "uniform", min: 20, max: 200 },
      outputLength: { dist: "uniform", min: 1, max: 40 },
    });
    const items = Array.from({ length: 50 }, (_, i) => work(i));
    const prompts = items.map((x) => (x.kind === undefined ? String(x.request.prompt).length : -1));
    const outputs = items.map((x) => (x.kind === undefined ? x.expected?.length : -1));
    expect(new Set(prompts).size).toBeGreaterThan(20);
    for (const [i, x] of items.entries()) {
      expect(prompts[i]).toBe(sampleLength({ dist: "uniform", min: 20, max: 200 }, 0, 42, 2 * i));
      if (x.kind === undefined) expect(Number(x.request.options?.numPredict)).toBe(outputs[i]);
    }
  });
});

describe("chat sessions", () => {
  it("builds sessions of N turns whose requests resend the conversation, with the engine's tokens expected", () => {
    const work = createWorkSource({ ...DEFAULT_WORKLOAD, chat: { turns: 3, thinkMs: 5 } });
    const s = work(1) as SessionWork;
    expect(s.kind).toBe("session");
    expect(s.turns).toHaveLength(3);
    expect(s.thinkMs).toBe(5);
    const req = s.request([
      { role: "user", content: s.turns[0] },
      { role: "assistant", content: "reply" },
      { role: "user", content: s.turns[1] },
    ]);
    expect(req.messages?.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    const engine = createSyntheticEngine({ seed: DEFAULT_WORKLOAD.engine.seed });
    expect(s.expected?.(req)).toEqual(engine.expectedChat(create(ChatRequestSchema, req)));
    expect(s.expected?.(req)).toHaveLength(DEFAULT_WORKLOAD.outputTokens);
  });

  it("runs over every chat wire of a spawned gateway, every turn verified token by token", async () => {
    const d = await tempDir("bench-chat-");
    const out = join(d, "reports");
    const { code, stderr } = await runCli([
      "--transports",
      "http,connect-grpc,mcp-tcp",
      "--chat-turns",
      "3",
      "--think-ms",
      "2",
      "--concurrency",
      "2",
      "--tokens",
      "6",
      "--out",
      out,
      ...QUICK,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(ExitCode.Ok);
    const r = JSON.parse(await readFile(join(out, "bench.json"), "utf8")) as BenchResult;
    for (const s of r.scenarios[0].summaries) {
      expect(s.merged.ok, s.transport).toBeGreaterThanOrEqual(3);
      expect(s.merged.tokens).toBe(6 * s.merged.ok);
    }
    expect(r.verification.streams).toBeGreaterThan(0);
    expect(r.verification.failedStreams).toBe(0);
  }, 90_000);
});
