import { equals } from "@bufbuild/protobuf";
import { GenerateRequestSchema, GenerateResponseSchema } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { createFixtures, fixtureBytes, fixtureText, STREAM_TOKENS } from "./fixtures.js";

describe("fixtures", () => {
  it("are a pure function of the seed", () => {
    const a = createFixtures(42);
    const b = createFixtures(42);
    for (const k of Object.keys(a.requests) as (keyof typeof a.requests)[]) {
      expect(equals(GenerateRequestSchema, a.requests[k], b.requests[k])).toBe(true);
    }
    for (const [i, m] of a.stream.entries()) expect(equals(GenerateResponseSchema, m, b.stream[i])).toBe(true);
  });

  it("differ between seeds in every class", () => {
    const a = createFixtures(1);
    const b = createFixtures(2);
    for (const k of Object.keys(a.requests) as (keyof typeof a.requests)[]) {
      expect(equals(GenerateRequestSchema, a.requests[k], b.requests[k])).toBe(false);
    }
    expect(equals(GenerateResponseSchema, a.tokenChunk, b.tokenChunk)).toBe(false);
    expect(equals(GenerateResponseSchema, a.finalChunk, b.finalChunk)).toBe(false);
  });

  it("have the advertised sizes and shapes", () => {
    const f = createFixtures(3);
    expect(f.requests["req-4k"].prompt.length).toBe(4096);
    expect(f.requests["req-64k"].prompt.length).toBe(65536);
    expect(f.requests["req-image-256k"].images[0].length).toBe(256 * 1024);
    expect(f.stream.length).toBe(STREAM_TOKENS + 1);
    expect(f.stream.slice(0, -1).every((c) => !c.done && c.response.length > 0 && !c.metrics)).toBe(true);
    expect(f.finalChunk.done).toBe(true);
    expect(f.finalChunk.doneReason).toBe("stop");
    expect(f.finalChunk.metrics?.evalCount).toBe(STREAM_TOKENS);
    expect(f.stream.at(-1)).toBe(f.finalChunk);
  });

  it("text and bytes are seeded and of the requested length", () => {
    expect(fixtureText(5, 100)).toBe(fixtureText(5, 100));
    expect(fixtureText(5, 100)).not.toBe(fixtureText(6, 100));
    expect(fixtureText(5, 100).length).toBe(100);
    expect(fixtureBytes(5, 1000)).toEqual(fixtureBytes(5, 1000));
    // Incompressible enough: every byte value shows up in 64 KiB.
    expect(new Set(fixtureBytes(9, 65536)).size).toBe(256);
  });
});
