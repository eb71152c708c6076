import { Code } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { envelope, flaggedEnvelope } from "./grpc-wire.js";
import { createRequestReader, type RequestError } from "./request-reader.js";

/** Feeds `body` in `cuts` pieces; returns the accepted messages and the first error (push or end). */
function read(body: Buffer, cuts: number[], max = 64, skip: number | null = 0x80) {
  const accepted: Buffer[] = [];
  const reader = createRequestReader(max, "unary", skip ?? undefined, (m) => {
    accepted.push(Buffer.from(m));
    return undefined;
  });
  let at = 0;
  let error: RequestError | undefined;
  for (const cut of [...cuts.filter((c) => c > 0 && c < body.length).sort((a, b) => a - b), body.length]) {
    error = reader.push(body.subarray(at, cut));
    at = cut;
    if (error) break;
  }
  return { accepted, error: error ?? reader.end() };
}

describe("request reader", () => {
  it("accepts exactly one message, skipping flagged frames, however the body is split", () => {
    const body = Buffer.concat([flaggedEnvelope(0x80, Buffer.from("t")), envelope(Buffer.from("hello"))]);
    fc.assert(
      fc.property(fc.array(fc.nat(body.length)), (cuts) => {
        const r = read(body, cuts);
        expect(r.error).toBeUndefined();
        expect(r.accepted.map(String)).toEqual(["hello"]);
      }),
    );
  });

  it("answers bad bodies with connect-node's codes and messages", () => {
    const one = envelope(Buffer.from("abc"));
    const cases: Array<[Buffer, Code, string]> = [
      [Buffer.alloc(0), Code.Unimplemented, "protocol error: missing input message for unary method"],
      [Buffer.from([0, 0, 0]), Code.InvalidArgument, "protocol error: incomplete envelope"],
      [one.subarray(0, 6), Code.InvalidArgument, "protocol error: incomplete envelope"],
      // A lone prefix whose payload never came leaves no byte buffered: connect-node calls that a missing message.
      [one.subarray(0, 5), Code.Unimplemented, "protocol error: missing input message for unary method"],
      [Buffer.concat([one, one]), Code.Unimplemented, "protocol error: received extra input message for unary method"],
      [
        envelope(new Uint8Array(65)),
        Code.ResourceExhausted,
        "message size 65 is larger than configured readMaxBytes 64",
      ],
      [
        flaggedEnvelope(1, Buffer.from("x")),
        Code.Internal,
        "received compressed envelope, but do not know how to decompress",
      ],
      [
        Buffer.concat(Array.from({ length: 14 }, () => flaggedEnvelope(0x80, Buffer.alloc(0)))),
        Code.ResourceExhausted,
        "message size is larger than configured readMaxBytes 64",
      ],
    ];
    for (const [body, code, message] of cases) expect(read(body, []).error).toEqual({ code, message });
    // Without a skip flag (gRPC) a flagged frame is a message.
    expect(read(flaggedEnvelope(0x80, Buffer.from("t")), [], 64, null).accepted.map(String)).toEqual(["t"]);
  });

  it("stops at the first message's decode error before looking for a second", () => {
    const reader = createRequestReader(64, "server-streaming", undefined, () => ({
      code: Code.InvalidArgument,
      message: "bad",
    }));
    expect(reader.push(Buffer.concat([envelope(Buffer.from("a")), envelope(Buffer.from("b"))]))).toEqual({
      code: Code.InvalidArgument,
      message: "bad",
    });
  });

  it("decodes a second message before it counts it: its decode error wins over 'extra input message', as connect-node", () => {
    const bad = { code: Code.InvalidArgument, message: "bad second" };
    const reader = createRequestReader(64, "server-streaming", undefined, (m) => (m[0] === 0 ? bad : undefined));
    const good = envelope(Buffer.from("a"));
    expect(reader.push(Buffer.concat([good, envelope(Buffer.from([0]))]))).toEqual(bad);
    const other = createRequestReader(64, "server-streaming", undefined, (m) => (m[0] === 0 ? bad : undefined));
    expect(other.push(Buffer.concat([good, good]))).toEqual({
      code: Code.Unimplemented,
      message: "protocol error: received extra input message for server-streaming method",
    });
  });

  it("checks every prefix a chunk completes before it looks at the chunk's messages, as connect-node does", () => {
    const two = Buffer.concat([envelope(Buffer.from("a")), envelope(Buffer.from("b"))]);
    const oversized = Buffer.from([0, 0, 0, 0, 65]);
    const tooLarge = {
      code: Code.ResourceExhausted,
      message: "message size 65 is larger than configured readMaxBytes 64",
    };
    // In one chunk the oversized prefix wins; split after the two messages, the extra message is seen first.
    expect(read(Buffer.concat([two, oversized]), []).error).toEqual(tooLarge);
    expect(read(Buffer.concat([two, oversized]), [two.length]).error).toEqual({
      code: Code.Unimplemented,
      message: "protocol error: received extra input message for unary method",
    });
  });

  it("never throws on arbitrary bytes, split anywhere, and the same split gives the same answer", () => {
    const codes = [Code.Unimplemented, Code.InvalidArgument, Code.ResourceExhausted, Code.Internal];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(200)), (junk, cuts) => {
        const split = read(Buffer.from(junk), cuts);
        expect(split).toEqual(read(Buffer.from(junk), cuts));
        if (split.error) expect(codes).toContain(split.error.code);
        else expect(split.accepted).toHaveLength(1);
      }),
    );
  });
});
