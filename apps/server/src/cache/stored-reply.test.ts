import { create } from "@bufbuild/protobuf";
import { ChatResponseSchema, Code, GenerateResponseSchema, ModelwireError } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { decodeStoredReply, encodeChunk, encodeStoredReply } from "./stored-reply.js";

const chunks = [
  create(GenerateResponseSchema, { model: "m", response: "Hel" }),
  create(GenerateResponseSchema, { model: "m", response: "lo ✓" }),
  create(GenerateResponseSchema, {
    model: "m",
    done: true,
    doneReason: "stop",
    metrics: { totalDuration: 5n, evalCount: 2, promptEvalCount: 3 },
  }),
];
const encoded = encodeStoredReply(
  "generate",
  1_700_000_000_123,
  chunks.map((c) => encodeChunk("generate", c)),
);

function dataLoss(f: () => unknown): ModelwireError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelwireError);
    expect((e as ModelwireError).code).toBe(Code.DataLoss);
    return e as ModelwireError;
  }
  throw new Error("expected DataLoss");
}

describe("stored reply codec", () => {
  it("round-trips the chunks and the stored-at time exactly", () => {
    const r = decodeStoredReply("generate", encoded);
    expect(r.storedAtMs).toBe(1_700_000_000_123);
    expect(r.chunks).toEqual(chunks);
  });

  it("rejects the wrong kind, truncation, trailing bytes and a reply without a final chunk", () => {
    dataLoss(() => decodeStoredReply("chat", encoded));
    for (let n = 0; n < encoded.length; n += 3) dataLoss(() => decodeStoredReply("generate", encoded.subarray(0, n)));
    dataLoss(() => decodeStoredReply("generate", new Uint8Array([...encoded, 0])));
    const open = encodeStoredReply("generate", 1, [encodeChunk("generate", chunks[0])]);
    expect(dataLoss(() => decodeStoredReply("generate", open)).message).toContain("not final");
    const bad = new Uint8Array(encoded);
    bad[0] = 9;
    dataLoss(() => decodeStoredReply("generate", bad));
  });

  it("keeps chat chunks apart from generate chunks", () => {
    const c = create(ChatResponseSchema, { model: "m", message: { role: "assistant", content: "x" }, done: true });
    const v = encodeStoredReply("chat", 2, [encodeChunk("chat", c)]);
    expect(decodeStoredReply("chat", v).chunks[0]).toEqual(c);
    dataLoss(() => decodeStoredReply("generate", v));
  });
});
