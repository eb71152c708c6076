import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { createSocketTally } from "./socket-tally.js";

class FakeSocket extends EventEmitter {
  bytesRead = 0;
  bytesWritten = 0;
}

describe("createSocketTally", () => {
  it("sums open sockets' live counts and closed sockets' final counts", () => {
    const closed: FakeSocket[] = [];
    const tally = createSocketTally<FakeSocket>((s) => {
      // By the time onClose runs, the socket has left the open set and its bytes are in the closed sum.
      expect(tally.open.has(s)).toBe(false);
      closed.push(s);
    });
    const a = tally.add(new FakeSocket());
    const b = tally.add(new FakeSocket());
    expect(tally.added).toBe(2);
    expect(tally.open.size).toBe(2);
    a.bytesRead = 10;
    a.bytesWritten = 20;
    b.bytesRead = 1;
    expect(tally.bytes()).toEqual({ bytesIn: 11, bytesOut: 20 });
    a.bytesRead = 15;
    a.emit("close");
    expect(closed).toEqual([a]);
    expect(tally.open.size).toBe(1);
    b.bytesWritten = 7;
    expect(tally.bytes()).toEqual({ bytesIn: 16, bytesOut: 27 });
    a.emit("close"); // a second close event is not counted twice
    b.emit("close");
    expect(tally.bytes()).toEqual({ bytesIn: 16, bytesOut: 27 });
    expect(tally.open.size).toBe(0);
    expect(tally.added).toBe(2);
  });
});
