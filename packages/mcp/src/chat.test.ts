import { create, toBinary } from "@bufbuild/protobuf";
import {
  type ChatRequest,
  ChatRequestSchema,
  type ChatResponse,
  ChatResponseSchema,
  MessageSchema,
} from "@modelwire/core";
import { createStreamVerifier, createSyntheticEngine, type Engine, type SyntheticEngine } from "@modelwire/engine";
import { HEADER_SIZE } from "@modelwire/mcp-codec";
import { encodeChatContentFrame, encodeChatFinalFrame } from "@modelwire/mcp-codec/internal";
import { describe, expect, it } from "vitest";
import { cleanupAfterEach, startClientServer } from "./test-support/harness.js";

/** MCP chat end to end: the hand-written ChatResponse chunk codec on the wire, and protobuf-es where it declines. */

const MODEL = "synthetic:latest";

function chatRequest(content: string): ChatRequest {
  return create(ChatRequestSchema, { model: MODEL, messages: [{ role: "user", content }] });
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

/** `engine` with its chat chunks passed through `edit` and kept in `sent`, as the server sends them. */
function recording(engine: SyntheticEngine, edit: (c: ChatResponse, i: number) => ChatResponse = (c) => c) {
  const sent: ChatResponse[] = [];
  const wrapped: Engine = Object.create(engine);
  wrapped.chat = async function* (req, ctx) {
    for await (const c of engine.chat(req, ctx)) {
      const m = edit(c, sent.length);
      sent.push(m);
      yield m;
    }
  };
  return { engine: wrapped, sent };
}

describe("MCP chat over TCP", () => {
  const cleanups = cleanupAfterEach();

  it("delivers the synthetic engine's chat token by token, each chunk equal to the one sent", async () => {
    const synthetic = createSyntheticEngine({ tokens: 24 });
    const { engine, sent } = recording(synthetic);
    const { client } = await startClientServer(cleanups, { engine });
    for (const prompt of ["hello", "tell me more", "ünïcödé 🙂"]) {
      sent.length = 0;
      const req = chatRequest(prompt);
      const got = await collect(client.chat(req));
      const verifier = createStreamVerifier(synthetic.expectedChat(req));
      for (const c of got) if (!c.done) verifier.push(c.message?.content ?? "");
      expect(verifier.report().ok).toBe(true);
      expect(got.length).toBe(25);
      expect(got.at(-1)).toMatchObject({ done: true, doneReason: "stop", model: MODEL, metrics: { evalCount: 24 } });
      expect(got).toStrictEqual(sent);
      // The hand-written codec is the path these chunks took: it accepts each of them, with toBinary's bytes.
      for (const [i, c] of sent.entries()) {
        const frame = (c.done ? encodeChatFinalFrame : encodeChatContentFrame)(1, i, c);
        expect(frame).toBeDefined();
        expect(frame?.subarray(HEADER_SIZE)).toEqual(new Uint8Array(toBinary(ChatResponseSchema, c)));
      }
    }
  });

  it("still carries what the hand-written codec declines (images, tool calls, tool name) through protobuf-es", async () => {
    const synthetic = createSyntheticEngine({ tokens: 6 });
    const { engine, sent } = recording(synthetic, (c, i) => {
      const m = c.message;
      const base = { role: m?.role, content: m?.content, thinking: "hmm" };
      if (i % 3 === 0) c.message = create(MessageSchema, { ...base, images: [new Uint8Array([i, 1, 2])] });
      else if (i % 3 === 1)
        c.message = create(MessageSchema, { ...base, toolCalls: [{ function: { name: "f", index: i } }] });
      else c.message = create(MessageSchema, { ...base, toolName: "lookup" });
      return c;
    });
    const { client } = await startClientServer(cleanups, { engine });
    const got = await collect(client.chat(chatRequest("tools please")));
    expect(got.length).toBe(7);
    // protobuf-es returns bytes fields as views of its input, a Buffer here: compare their contents.
    const plainImages = (cs: ChatResponse[]) =>
      cs.map((c) => ({ ...c, message: { ...c.message, images: c.message?.images.map((b) => Uint8Array.from(b)) } }));
    expect(plainImages(got)).toStrictEqual(plainImages(sent));
    expect(got[0].message?.images.map((b) => [...b])).toEqual([[0, 1, 2]]);
    expect(got.at(-1)?.done).toBe(true);
    for (const c of sent) expect((c.done ? encodeChatFinalFrame : encodeChatContentFrame)(1, 0, c)).toBeUndefined();
  });
});
