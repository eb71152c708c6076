import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { Code } from "./code.js";
import { createConnectionGate, MAX_PENDING_REFUSALS, resolveConnectionLimits } from "./connection-gate.js";
import { ModelwireError } from "./error.js";

class FakeConn extends EventEmitter {
  destroyed = false;
  constructor(readonly remoteAddress?: string) {
    super();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit("close");
  }
}

describe("connection gate", () => {
  it("refuses a client over its cap with ResourceExhausted naming the cap, and admits it again after a close", () => {
    const gate = createConnectionGate({ maxConnections: 10, maxConnectionsPerClient: 2 });
    const a = [new FakeConn("127.0.0.1"), new FakeConn("::ffff:127.0.0.1")];
    for (const c of a) expect(gate.admit(c)).toBeUndefined();
    const third = new FakeConn("127.0.0.1");
    const r = gate.admit(third);
    expect(r?.answer).toBe(true);
    expect(r?.error.code).toBe(Code.ResourceExhausted);
    expect(r?.error.metadata).toEqual({ limit: "maxConnectionsPerClient", max: "2" });
    expect(gate.admit(new FakeConn("10.0.0.2"))).toBeUndefined(); // another client is not affected
    expect(gate.open).toBe(3);
    a[0].destroy();
    expect(gate.admit(new FakeConn("127.0.0.1"))).toBeUndefined();
    expect(gate.refused).toBe(1);
  });

  it("caps the listener as a whole; Unix-socket connections (no address) count only there", () => {
    const gate = createConnectionGate({ maxConnections: 3, maxConnectionsPerClient: 1 });
    for (let i = 0; i < 3; i++) expect(gate.admit(new FakeConn())).toBeUndefined();
    const r = gate.admit(new FakeConn("127.0.0.1"));
    expect(r?.error.metadata.limit).toBe("maxConnections");
  });

  it("destroys refused connections unanswered once too many refusals are pending", () => {
    const gate = createConnectionGate({ maxConnections: 1 });
    gate.admit(new FakeConn("127.0.0.1"));
    const refused = Array.from({ length: MAX_PENDING_REFUSALS + 1 }, () => new FakeConn("127.0.0.1"));
    const answers = refused.map((c) => gate.admit(c)?.answer);
    expect(answers.filter((x) => x === true)).toHaveLength(MAX_PENDING_REFUSALS);
    expect(answers.at(-1)).toBe(false);
    expect(refused.at(-1)?.destroyed).toBe(true);
    expect(refused[0].destroyed).toBe(false);
  });

  it("rejects limits that are not positive integers, naming the field", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const err = (() => {
        try {
          resolveConnectionLimits({ maxConnectionsPerClient: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ModelwireError);
      expect((err as ModelwireError).metadata.field).toBe("maxConnectionsPerClient");
    }
  });
});
