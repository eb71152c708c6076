import fc from "fast-check";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { createProgress } from "./progress.js";
import { createProgressModel, fitWidth, formatClock, formatProgress, type ProgressSnapshot } from "./progress-model.js";

// Control characters other than the newline that ends a permanent line.
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

// What the writer sends to erase the status line: carriage return, then ESC [2K (erase the whole line).
const CLEAR = "\r\x1b[2K";

function fakeClock() {
  let t = 0;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

function fakeTerminal(columns: number, isTTY = true) {
  const writes: string[] = [];
  return { stream: { isTTY, columns, write: (s: string) => writes.push(s) }, writes };
}

describe("the progress model", () => {
  it("counts windows and estimates time left from the plan, scaled by how long finished windows took", () => {
    const clock = fakeClock();
    const m = createProgressModel(clock.now);
    m.plan(4, 1000);
    expect(m.snapshot()).toMatchObject({ done: 0, total: 4, leftMs: 4000, more: false });
    m.begin("a");
    clock.advance(2000); // twice its plan
    m.end();
    expect(m.snapshot()).toMatchObject({ done: 1, total: 4, elapsedMs: 2000, leftMs: 6000 });
    m.begin("b");
    clock.advance(500);
    // two windows not started at 2 s each, and 1.5 s of the running one's 2 s left
    expect(m.snapshot()).toMatchObject({ done: 1, label: "b", leftMs: 5500 });
    clock.advance(3000); // past its estimate: never a negative time left
    expect(m.snapshot().leftMs).toBe(2 * 2000);
    m.end();
    expect(m.snapshot()).toMatchObject({ done: 2, total: 4 });
  });

  it("adds the sweep's steps as they start, and bounds the time they may still take", () => {
    const clock = fakeClock();
    const m = createProgressModel(clock.now);
    m.plan(1, 1000);
    m.mayAdd(4, 500, "sweep");
    expect(m.snapshot()).toMatchObject({
      done: 0,
      total: 1,
      more: true,
      leftMs: 1000,
      moreMs: 2000,
      moreWhat: "sweep",
    });
    m.begin("window");
    clock.advance(2000); // twice its plan: the bound scales too
    m.end();
    expect(m.snapshot()).toMatchObject({ done: 1, total: 1, leftMs: 0, moreMs: 4000 });
    m.begin("step 1"); // past the plan: one of the allowance, of its length
    expect(m.snapshot()).toMatchObject({ done: 1, total: 2, label: "step 1", leftMs: 1000, moreMs: 3000 });
    clock.advance(1000);
    m.end();
    m.mayAdd(1, 500, "sweep"); // the last transport's bound
    m.begin("step 2");
    expect(m.snapshot()).toMatchObject({ done: 2, total: 3, more: false });
    expect(m.snapshot().moreMs).toBeUndefined();
    m.end();
    // Without an allowance a window past the plan still counts, at the last planned length.
    m.begin("extra");
    // (2 s of windows took 3 s so far: 1.5 × its 500 ms)
    expect(m.snapshot()).toMatchObject({ done: 3, total: 4, more: false, leftMs: 750 });
  });

  it("on a fixed plan (--agents) counts the wait for the start, the gaps and unused slots, and late windows", () => {
    const clock = fakeClock();
    const m = createProgressModel(clock.now);
    m.plan(4, 10_000);
    expect(m.snapshot().leftMs).toBe(40_000); // no plan: the windows back to back
    // Starts in 30 s; each slot is the window's 10 s plus a 5 s gap: the last window ends at 30 + 4×10 + 3×5 = 85 s.
    m.startsAt(30_000, 5_000);
    expect(m.snapshot()).toMatchObject({ done: 0, leftMs: 85_000, label: "waiting for the planned start" });
    expect(m.snapshot().activity).toBe("in 0:30");
    clock.advance(20_000);
    expect(m.snapshot()).toMatchObject({ leftMs: 65_000, activity: "in 0:10" });
    clock.advance(10_000);
    m.begin("w1");
    expect(m.snapshot()).toMatchObject({ label: "w1", leftMs: 55_000 });
    clock.advance(6_000); // done early (6 of 10 s): the scale is 0.6, but the next window still waits for 45 s
    m.end();
    // At 36 s: wait to 45, 6 s, wait to 60, 6 s, wait to 75, 6 s: ends at 81 s.
    expect(m.snapshot()).toMatchObject({ done: 1, leftMs: 45_000, label: "waiting for the planned start" });
    expect(m.snapshot().activity).toBe("in 0:09");
    clock.advance(9_000);
    m.begin("w2");
    clock.advance(30_000); // 30 of 10 s: late for the next slots (60 s, 75 s), which start at once after it
    m.end();
    // At 75 s, scale (6 + 30) / 20 = 1.8: two windows of 18 s back to back, none waits.
    const s = m.snapshot();
    expect(s.leftMs).toBeCloseTo(36_000, 6);
    expect(s.label).toBeUndefined();
  });

  it("gives the running window's live rate, and 0 when it stalls", () => {
    const clock = fakeClock();
    const m = createProgressModel(clock.now);
    m.begin("w");
    m.count();
    clock.advance(100);
    expect(m.snapshot().rate).toBeUndefined(); // too early to say
    for (let i = 0; i < 400; i++) {
      clock.advance(10);
      m.count();
    }
    const rate = m.snapshot().rate!;
    expect(rate).toBeGreaterThan(85);
    expect(rate).toBeLessThan(115);
    clock.advance(2500);
    expect(m.snapshot().rate).toBe(0);
    m.end();
    expect(m.snapshot().rate).toBeUndefined();
  });

  it("formats clocks and cuts text by terminal columns, wide characters counting two", () => {
    expect(formatClock(0)).toBe("0:00");
    expect(formatClock(61_400)).toBe("1:01");
    expect(formatClock(3_725_000)).toBe("1:02:05");
    expect(fitWidth("abcdef", 4)).toBe("abc…");
    expect(fitWidth("日本語です", 5)).toBe("日本…");
    expect(stringWidth(fitWidth("日本語です", 5))).toBeLessThanOrEqual(5);
    expect(fitWidth("abc", 3)).toBe("abc");
  });

  it("never makes a status line wider than the width, nor one with control characters", () => {
    // Names as a --scenario file may give them: ASCII, escapes and other controls, wide and combining characters.
    const piece = fc.oneof(
      fc.string({ unit: "grapheme-ascii", maxLength: 8 }),
      fc.constantFrom("\x1b[31m", "\r", "\n", "\t", "\u0085", "\u007f", "日本", "語", "👍", "e\u0301", "·", "µ", "→"),
    );
    const text = (maxLength: number) => fc.array(piece, { maxLength }).map((a) => a.join(""));
    const snapshot = fc.record<ProgressSnapshot>(
      {
        done: fc.nat(10_000),
        total: fc.nat(10_000),
        more: fc.boolean(),
        moreMs: fc.nat(1e9),
        moreWhat: text(8),
        elapsedMs: fc.nat(1e9),
        leftMs: fc.nat(1e9),
        label: text(30),
        activity: text(5),
        rate: fc.double({ min: 0, max: 1e7, noNaN: true }),
      },
      { requiredKeys: ["done", "total", "more", "elapsedMs", "leftMs"] },
    );
    fc.assert(
      fc.property(snapshot, fc.integer({ min: 1, max: 300 }), (s, width) => {
        const line = formatProgress(s, width);
        expect(stringWidth(line)).toBeLessThanOrEqual(width);
        expect(line).not.toMatch(CONTROL);
      }),
    );
  });

  it("drops the least useful parts first on a narrow terminal", () => {
    const s: ProgressSnapshot = {
      done: 7,
      total: 24,
      more: true,
      elapsedMs: 42_000,
      leftMs: 100_000,
      moreMs: 130_000,
      moreWhat: "sweep",
      label: "protocol-overhead r2/3 · mcp-tcp",
      activity: "measuring",
      rate: 9560.4,
    };
    expect(formatProgress(s, 200)).toBe(
      "[7/24+] 29% · protocol-overhead r2/3 · mcp-tcp measuring · 9,560 req/s · 0:42 elapsed · ~1:40 left + sweep ≤2:10",
    );
    expect(formatProgress(s, 86)).toBe(
      "[7/24+] 29% · protocol-overhead r2/3 · mcp-t… · 9,560 req/s · ~1:40 left + sweep ≤2:10",
    );
    expect(formatProgress(s, 66)).toBe("[7/24+] 29% · protocol-o… · 9,560 req/s · ~1:40 left + sweep ≤2:10");
    expect(formatProgress(s, 52)).toBe("[7/24+] 29% · 9,560 req/s · ~1:40 left + sweep ≤2:10");
    expect(formatProgress(s, 46)).toBe("[7/24+] 29% · ~1:40 left + sweep ≤2:10");
    expect(formatProgress(s, 10)).toBe("[7/24+] 2…");
  });
});

describe("the progress writer", () => {
  function run(p: ReturnType<typeof createProgress>, clock: ReturnType<typeof fakeClock>) {
    p.line("started gateway (pid 1) in 80.0 ms");
    p.plan(2, 1000);
    p.begin("protocol-overhead r1/1 · 日本語のとても長いシナリオ名 \x1b[31m· mcp-tcp");
    p.status("warming up");
    clock.advance(300);
    p.status("measuring");
    for (let i = 0; i < 100; i++) {
      clock.advance(10);
      p.count();
    }
    p.end();
    p.line("  r1 mcp-tcp 100 req/s");
    p.begin("protocol-overhead r1/1 · http");
    clock.advance(1300);
    p.end();
    p.checkpoint("scenario protocol-overhead done");
    p.done();
  }

  it("on a TTY redraws one status line in place, never wider than the terminal", () => {
    const clock = fakeClock();
    const { stream, writes } = fakeTerminal(40);
    run(createProgress({ stream, now: clock.now, redrawMs: 0 }), clock);
    const status = writes
      .filter((w) => !w.endsWith("\n"))
      .map((w) => (w.startsWith(CLEAR) ? w.slice(CLEAR.length) : w));
    expect(status.length).toBeGreaterThan(10);
    for (const s of status.filter(Boolean)) {
      expect(stringWidth(s), s).toBeLessThanOrEqual(39);
      expect(s).not.toMatch(CONTROL);
    }
    expect(status).toContain("[0/2] 0% · protocol-overh… · ~0:02 left");
    // The measured part's rate: 100 streams in its first second (the warm-up counted nothing and does not dilute it).
    expect(status.filter((x) => x.startsWith("[0/2]")).at(-1)).toBe("[0/2] 0% · 100 req/s · ~0:01 left");
    // Every permanent line clears the status first; the last write clears it for good.
    expect(writes.at(-1)).toBe("\r\x1b[2K");
    expect(writes).toContain("scenario protocol-overhead done: 2/2 windows · 0:03 elapsed · ~0:00 left\n");
  });

  it("elsewhere writes the permanent lines only, with the counts at each checkpoint, and no control characters", () => {
    const clock = fakeClock();
    const { stream, writes } = fakeTerminal(40, false);
    run(createProgress({ stream, now: clock.now, redrawMs: 0 }), clock);
    expect(writes).toEqual([
      "started gateway (pid 1) in 80.0 ms\n",
      "  r1 mcp-tcp 100 req/s\n",
      "scenario protocol-overhead done: 2/2 windows · 0:03 elapsed · ~0:00 left\n",
    ]);
    const p = createProgress({ stream, now: clock.now });
    p.line("a \x1b[31mred\x1b[0m\rline");
    expect(writes.at(-1)).toBe("a  [31mred [0m line\n");
    expect(writes.join("").replace(/\n/g, "")).not.toMatch(CONTROL);
  });

  it("with --agents shows the wait for the planned start, counted in the time left", () => {
    const clock = fakeClock();
    const { stream, writes } = fakeTerminal(80);
    const p = createProgress({ stream, now: clock.now, redrawMs: 0 });
    p.plan(2, 1000);
    p.startsAt(12_000, 500);
    clock.advance(2000);
    p.line("agent 0 of 2: start in 10.0 s");
    p.done();
    const status = writes.filter((w) => !w.endsWith("\n")).map((w) => w.replace(CLEAR, ""));
    // 12 s to the start, 1 s, a 0.5 s gap, 1 s: 14.5 s, rounded to 0:15; 2 s later 0:13 (12.5 s).
    expect(status).toContain("[0/2] 0% · waiting for the planned start in 0:12 · 0:00 elapsed · ~0:15 left");
    expect(status).toContain("[0/2] 0% · waiting for the planned start in 0:10 · 0:02 elapsed · ~0:13 left");
  });

  it("--quiet writes nothing", () => {
    const clock = fakeClock();
    const { stream, writes } = fakeTerminal(40);
    run(createProgress({ stream, quiet: true, now: clock.now }), clock);
    expect(writes).toEqual([]);
  });
});
