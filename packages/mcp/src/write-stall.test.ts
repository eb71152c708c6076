import { create } from "@bufbuild/protobuf";
import { Code, GenerateRequestSchema } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { readOutcome, until } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import { cleanupAfterEach, startClientServer } from "./test-support/harness.js";

const MODEL = "synthetic:latest";
const cleanups = cleanupAfterEach();

describe("a client that stops reading (write-stall timeout)", () => {
  it("the connection fails with ERROR(0) RESOURCE_EXHAUSTED write_stall, every slot is freed at once, and the client reading again sees why, never an END", async () => {
    const engine = createSyntheticEngine({});
    const { client, server } = await startClientServer(cleanups, { engine, writeStallTimeoutMs: 400 }, {}, 200);
    const long = (prompt: string) =>
      create(GenerateRequestSchema, { model: MODEL, prompt, options: { numPredict: 1_000_000 } });
    // Two streams on the connection; the application reads one chunk of each and then nothing for a while. The
    // client's queues fill, it stops reading the socket, the socket fills, and the server waits on it.
    const its = ["a", "b"].map((p) => client.generate(long(p))[Symbol.asyncIterator]());
    for (const it of its) expect((await it.next()).done).toBe(false);
    await until(() => server.stats().stalled === 1, 60_000);
    expect(server.stats().inFlight).toBe(0);
    // Both streams are read again at once (read one after the other, the unread one's queue would keep the
    // client's socket paused: head-of-line blocking, docs/mcp-wire.md §8).
    const outcomes = await Promise.all(its.map(readOutcome));
    for (const { sawDone, error } of outcomes) {
      expect(sawDone).toBe(false);
      // A connection-level ERROR fails the client's streams with UNAVAILABLE (retryable), the server's code kept.
      expect(error?.code).toBe(Code.Unavailable);
      expect(error?.metadata).toMatchObject({ reason: "write_stall", code: String(Code.ResourceExhausted) });
      expect(error?.rawMessage).toMatch(/stream stalled: the client read nothing for 400 ms/);
    }
    // The client reconnects and is served in full.
    const tokens: string[] = [];
    for await (const c of client.generate(create(GenerateRequestSchema, { model: MODEL, prompt: "after" })))
      tokens.push(c.response);
    expect(tokens.join("")).toBe(
      engine.expectedGenerate(create(GenerateRequestSchema, { model: MODEL, prompt: "after" })).join(""),
    );
  }, 120_000);
});
