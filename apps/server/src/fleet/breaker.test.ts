import { describe, expect, it } from "vitest";
import { type BreakerState, createBreaker } from "./breaker.js";

function make(failures = 3, backoffMs = 100, maxBackoffMs = 350) {
  const changes: BreakerState[] = [];
  const b = createBreaker({ failures, backoffMs, maxBackoffMs, onChange: (s) => changes.push(s) });
  return { b, changes };
}

describe("the circuit breaker", () => {
  it("opens after N failures in a row (a success in between starts the count again)", () => {
    const { b, changes } = make();
    b.failure(0);
    b.failure(1);
    b.success();
    b.failure(2);
    b.failure(3);
    expect(b.state(3)).toBe("up");
    b.failure(4);
    expect(b.state(4)).toBe("down");
    expect(b.availability(4)).toBe("down");
    expect(changes).toEqual(["down"]);
  });

  it("lets exactly one trial call through after the back-off; its success closes the breaker", () => {
    const { b, changes } = make(1);
    b.failure(0);
    expect(b.availability(99)).toBe("down");
    expect(b.state(100)).toBe("half-open");
    expect(b.availability(100)).toBe("trial");
    b.beginTrial();
    expect(b.availability(101)).toBe("down");
    b.success();
    expect(b.state(102)).toBe("up");
    expect(changes).toEqual(["down", "up"]);
  });

  it("a failed trial opens it again for twice the back-off, up to the maximum", () => {
    const { b } = make(1);
    b.failure(0);
    b.beginTrial();
    b.failure(100);
    expect(b.backoffMs).toBe(200);
    expect(b.state(299)).toBe("down");
    expect(b.availability(300)).toBe("trial");
    b.beginTrial();
    b.failure(300);
    expect(b.backoffMs).toBe(350);
    b.success();
    expect(b.backoffMs).toBe(100);
  });

  it("a trial without a verdict (cancelled, busy) frees the trial again", () => {
    const { b } = make(1);
    b.failure(0);
    b.beginTrial();
    b.release();
    expect(b.availability(100)).toBe("trial");
  });

  it("an active check that fails opens it at once; one that answers closes it", () => {
    const { b, changes } = make(3);
    b.probe(false, 0);
    expect(b.state(0)).toBe("down");
    // Still failing checks restart the back-off: no trial goes to an upstream the checks cannot reach.
    b.probe(false, 90);
    expect(b.state(150)).toBe("down");
    // However long ago: while the last check failed there is no trial.
    expect(b.availability(10_000)).toBe("down");
    b.probe(true, 160);
    expect(b.state(160)).toBe("up");
    expect(changes).toEqual(["down", "up"]);
  });

  it("after a failed check, only an answer (a check, or a call's chunk) brings it back; a passive opening gets trials", () => {
    const { b } = make(1);
    b.probe(false, 0);
    expect(b.availability(1_000)).toBe("down");
    b.success();
    expect(b.state(1_000)).toBe("up");
    b.failure(1_000);
    expect(b.availability(1_100)).toBe("trial");
  });

  it("a call that fails after the breaker opened does not extend the back-off", () => {
    const { b } = make(1);
    b.failure(0);
    b.failure(50);
    expect(b.backoffMs).toBe(100);
    expect(b.state(100)).toBe("half-open");
  });
});
