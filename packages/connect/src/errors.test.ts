import { create, toBinary } from "@bufbuild/protobuf";
import { Code as ConnectCode, ConnectError } from "@connectrpc/connect";
import { Code, ModelwireError } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { fromConnectError, toConnectError } from "./errors.js";
import { backoffMs, isRetryable, resolveRetryPolicy } from "./retry.js";

describe("error mapping", () => {
  it("maps every code both ways and keeps message and metadata", () => {
    for (let code = 1; code <= 16; code++) {
      const e = new ModelwireError(`failure ${code}`, code as Code, { model: "a:b c", httpStatus: "503" });
      const ce = toConnectError(e);
      expect(ce.code as number).toBe(code);
      expect(ce.rawMessage).toBe(`failure ${code}`);
      // What a peer sees: a fresh ConnectError with the details as the bytes connect-node decoded from the wire.
      const wire = new ConnectError(ce.rawMessage, ce.code, ce.metadata);
      wire.details = ce.details.map((d) => {
        if (!("desc" in d)) throw new Error("expected an outgoing detail");
        return { type: d.desc.typeName, value: toBinary(d.desc, create(d.desc, d.value)) };
      });
      const back = fromConnectError(wire);
      expect(back.code).toBe(code);
      expect(back.rawMessage).toBe(`failure ${code}`);
      expect(back.metadata).toEqual({ model: "a:b c", httpStatus: "503" });
    }
  });

  it("turns plain errors into INTERNAL on the server and aborts into CANCELED", () => {
    expect(toConnectError(new Error("boom")).code).toBe(ConnectCode.Internal);
    expect(fromConnectError(new ConnectError("x", ConnectCode.Canceled)).code).toBe(Code.Canceled);
    const abort = new DOMException("aborted", "AbortError");
    expect(fromConnectError(abort).code).toBe(Code.Canceled);
  });
});

describe("retry policy", () => {
  it("backs off exponentially with bounded jitter and a cap", () => {
    const fixed = resolveRetryPolicy({
      initialBackoffMs: 100,
      multiplier: 2,
      maxBackoffMs: 1_000,
      jitter: 0,
      random: () => 0.9,
    });
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(fixed, a))).toEqual([100, 200, 400, 800, 1_000]);
    const low = resolveRetryPolicy({ initialBackoffMs: 100, jitter: 0.5, random: () => 0 });
    const high = resolveRetryPolicy({ initialBackoffMs: 100, jitter: 0.5, random: () => 0.999999 });
    expect(backoffMs(low, 1)).toBeCloseTo(50);
    expect(backoffMs(high, 1)).toBeCloseTo(150, 2);
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(RangeError);
    expect(resolveRetryPolicy(false).maxAttempts).toBe(1);
  });

  it("retries UNAVAILABLE, and DEADLINE_EXCEEDED only before any message and with time left", () => {
    const unavailable = new ModelwireError("x", Code.Unavailable);
    const deadline = new ModelwireError("x", Code.DeadlineExceeded);
    expect(isRetryable(unavailable, false, undefined)).toBe(true);
    expect(isRetryable(unavailable, true, undefined)).toBe(false);
    expect(isRetryable(deadline, false, Date.now() + 10_000)).toBe(true);
    expect(isRetryable(deadline, false, Date.now() - 1)).toBe(false);
    expect(isRetryable(deadline, true, Date.now() + 10_000)).toBe(false);
    expect(isRetryable(new ModelwireError("x", Code.NotFound), false, undefined)).toBe(false);
  });
});
