import { equals } from "@bufbuild/protobuf";
import { type GenerateResponse, GenerateResponseSchema } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { buildCases, singleCase } from "./cases.js";
import { protobufBinaryCodec } from "./codecs/protobuf.js";
import { createFixtures } from "./fixtures.js";
import type { CaseResult, TaskTiming } from "./report.js";
import { mcpVsProtobuf, protobufVsJson, runSuite, sizeTable } from "./suite.js";

const fixtures = createFixtures(11);
const probes = createFixtures(12);
const cases = buildCases(fixtures, probes).filter((c) => c.payload === "chunk-token");
const fast = { timeMs: 5, warmupMs: 1 };

describe("runSuite", () => {
  it("times only the cases the filter selects, but checks and sizes all", () => {
    const results = runSuite(cases, { ...fast, filter: /\/(protobuf|mcp|ollama-json)$/ });
    expect(results.length).toBe(cases.length);
    for (const r of results) {
      expect(r.roundTrip).toBe("ok");
      expect(r.bytes).toBeGreaterThan(0);
      const timed = /\/(protobuf|mcp|ollama-json)$/.test(r.name);
      expect(r.encode !== null).toBe(timed);
      expect(r.decode !== null).toBe(timed);
      if (r.encode) {
        expect(r.encode.nsPerOp).toBeGreaterThan(0);
        expect(r.encode.opsPerSec).toBeGreaterThan(0);
        expect(r.encode.samples).toBeGreaterThan(0);
        expect(Number.isFinite(r.encode.rmePercent)).toBe(true);
      }
    }
  });

  it("reports a case that fails its check and never times it", () => {
    const pb = protobufBinaryCodec(GenerateResponseSchema);
    const eq = (a: GenerateResponse, b: GenerateResponse) => equals(GenerateResponseSchema, a, b);
    const broken = singleCase(
      "chunk-token",
      { name: "truncating", codec: { encode: (v) => pb.encode(v).subarray(0, 10), decode: (b) => pb.decode(b) } },
      fixtures.tokenChunk,
      probes.tokenChunk,
      eq,
    );
    const lines: string[] = [];
    const [r] = runSuite([broken], { ...fast, log: (l) => lines.push(l) });
    expect(r.roundTrip).toMatch(/^chunk-token\/truncating: /);
    expect(r.encode).toBeNull();
    expect(r.decode).toBeNull();
    expect(lines.join("\n")).toContain("ROUND-TRIP FAILED");
  });
});

const timing = (nsPerOp: number): TaskTiming => ({
  nsPerOp,
  opsPerSec: 1e9 / nsPerOp,
  rmePercent: 1,
  p50Ns: nsPerOp,
  p99Ns: nsPerOp,
  samples: 10,
  batch: 1,
});
const row = (payload: string, encoding: string, bytes: number, enc: number, dec: number): CaseResult => ({
  name: `${payload}/${encoding}`,
  payload,
  encoding,
  kind: "encoding",
  bytes,
  roundTrip: "ok",
  encode: timing(enc),
  decode: timing(dec),
});

describe("comparisons", () => {
  const results = [
    row("p", "ollama-json", 1000, 300, 500),
    row("p", "protobuf", 350, 100, 100),
    row("p", "mcp", 370, 120, 110),
  ];

  it("computes Protobuf's saving and speedup against Ollama JSON", () => {
    const [r] = protobufVsJson(results);
    expect(r.sizeSavingPercent).toBeCloseTo(65, 6);
    expect(r.withinClaimed60to70).toBe(true);
    expect(r.speedup).toBeCloseTo(4, 6);
  });

  it("computes the MCP ratio and the frame's byte overhead", () => {
    const [r] = mcpVsProtobuf(results);
    expect(r.ratio).toBeCloseTo(1.15, 6);
    expect(r.withinTarget).toBe(true);
    expect(r.overheadBytes).toBe(20);
    expect(mcpVsProtobuf(results, 1.1)[0].withinTarget).toBe(false);
    expect(r.layers).toEqual([]);
    expect(r.fusedRatio).toBeNull();
    expect(r.partsRatio).toBeNull();
    expect(r.reflectiveWrapNs).toBeNull();
    const part: CaseResult = { ...row("p", "mcp.data-frame", 370, 15, 15), kind: "mcp-part" };
    expect(mcpVsProtobuf([...results, part])[0].layers).toEqual([
      { layer: "protobuf", ns: 200 },
      { layer: "mcp.data-frame", ns: 30 },
    ]);
    expect(sizeTable([...results, part]).length).toBe(3);
  });

  it("reports a request's fused ratio (the mcp case itself) and its parts path, which is not a layer", () => {
    const req = [row("req-x", "protobuf", 350, 100, 100), row("req-x", "mcp", 378, 110, 120)];
    const parts: CaseResult = { ...row("req-x", "mcp.parts", 378, 105, 125), kind: "mcp-part" };
    const [r] = mcpVsProtobuf([...req, parts]);
    expect(r.fusedRatio).toBeCloseTo(r.ratio, 9);
    expect(r.partsRatio).toBeCloseTo(1.15, 6);
    expect(r.layers).toEqual([]);
  });

  it("sizes every encoding relative to Ollama JSON", () => {
    expect(sizeTable(results).map((s) => s.vsOllamaJson)).toEqual([1, 0.35, 0.37]);
  });
});
