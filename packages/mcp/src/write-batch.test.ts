import { create } from "@bufbuild/protobuf";
import { Code, GenerateRequestSchema } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { describe, expect, it } from "vitest";
import { createMcpClient, createMcpServer } from "./index.js";
import { cleanupAfterEach, startClientServer } from "./test-support/harness.js";

const cleanups = cleanupAfterEach();

/** The frame-writer batch size is a knob on both sides (`writeBatchFrames`); the package benchmark sweeps it. */
describe("writeBatchFrames", () => {
  it("rejects a batch size outside [1, 1024] with InvalidArgument naming the option", () => {
    const engine = createSyntheticEngine();
    for (const bad of [0, -1, 1.5, 1025]) {
      expect(() => createMcpClient({ url: "tcp://127.0.0.1:1", writeBatchFrames: bad })).toThrow(
        expect.objectContaining({ code: Code.InvalidArgument, metadata: { field: "writeBatchFrames" } }),
      );
      expect(() => createMcpServer({ engine, tcp: { port: 0 }, writeBatchFrames: bad })).toThrow(
        expect.objectContaining({ code: Code.InvalidArgument, metadata: { field: "writeBatchFrames" } }),
      );
    }
  });

  it.each([1, 3, 1024])("carries 32 concurrent generates intact with batches of %i frames on both sides", async (n) => {
    const engine = createSyntheticEngine({ tokens: 5 });
    const { client } = await startClientServer(cleanups, { engine, writeBatchFrames: n }, { writeBatchFrames: n });
    const results = await Promise.all(
      Array.from({ length: 32 }, async (_, i) => {
        const req = create(GenerateRequestSchema, { model: "synthetic:latest", prompt: `p${i}` });
        const tokens: string[] = [];
        for await (const c of client.generate(req)) if (!c.done) tokens.push(c.response);
        return [tokens, engine.expectedGenerate(req)];
      }),
    );
    for (const [got, want] of results) expect(got).toEqual(want);
  });
});
