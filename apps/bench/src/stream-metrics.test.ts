import { describe, expect, it } from "vitest";
import { computeStreamMetrics } from "./stream-metrics.js";

describe("stream metrics on hand-made timelines", () => {
  it("computes TTFT, E2E, gaps, per-token time and the longest stall", () => {
    const m = computeStreamMetrics({
      intendedStart: 1000,
      sentAt: 1002,
      chunks: [
        { t: 1030, text: "" }, // an empty chunk before content does not count as the first token
        { t: 1050, text: "a" },
        { t: 1060, text: "b" },
        { t: 1100, text: "c" },
        { t: 1105, text: "d" },
        { t: 1110, text: "" }, // final chunk
      ],
      end: 1111,
    });
    expect(m.tokens).toBe(4);
    expect(m.ttftMs).toBe(50);
    expect(m.e2eMs).toBe(110);
    expect(m.gapsMs).toEqual([10, 40, 5]);
    expect(m.perTokenMs).toBe((110 - 50) / 3);
    expect(m.longestStallMs).toBe(50);
    expect(m.sendLagMs).toBe(2);
  });

  it("finds a stall in the middle of a stream", () => {
    const m = computeStreamMetrics({
      intendedStart: 0,
      sentAt: 0,
      chunks: [
        { t: 5, text: "a" },
        { t: 6, text: "b" },
        { t: 306, text: "c" },
        { t: 307, text: "" },
      ],
      end: 307,
    });
    expect(m.longestStallMs).toBe(300);
    expect(m.ttftMs).toBe(5);
    expect(m.perTokenMs).toBe(151);
  });

  it("times from the intended start, not the actual send", () => {
    const m = computeStreamMetrics({
      intendedStart: 0,
      sentAt: 200,
      chunks: [
        { t: 210, text: "x" },
        { t: 211, text: "" },
      ],
      end: 211,
    });
    expect(m.ttftMs).toBe(210);
    expect(m.e2eMs).toBe(211);
    expect(m.sendLagMs).toBe(200);
    expect(m.perTokenMs).toBeUndefined(); // one token: no decode time
  });

  it("handles a stream with no content (an error before the first token)", () => {
    const m = computeStreamMetrics({ intendedStart: 10, sentAt: 10, chunks: [], end: 25 });
    expect(m.tokens).toBe(0);
    expect(m.ttftMs).toBeUndefined();
    expect(m.e2eMs).toBe(15);
    expect(m.gapsMs).toEqual([]);
    expect(m.longestStallMs).toBe(15);
  });
});

describe("what the wire adds, from the server's own durations", () => {
  it("overhead = client E2E from the send − total_duration; first-token overhead = TTFT − (load + prompt eval)", () => {
    const m = computeStreamMetrics({
      intendedStart: 100,
      sentAt: 110, // 10 ms of schedule lag: not the wire's
      chunks: [
        { t: 140, text: "a" },
        { t: 150, text: "b" },
        { t: 160, text: "c" },
        { t: 161, text: "" },
      ],
      end: 161,
      server: { totalMs: 45, loadMs: 5, promptEvalMs: 22, evalMs: 18, evalCount: 3, promptEvalCount: 7 },
    });
    expect(m.overheadMs).toBe(161 - 110 - 45); // 6
    expect(m.ttftOverheadMs).toBe(140 - 110 - 27); // 3
    expect(m.tokenOverheadMs).toBe((6 - 3) / 2);
    expect(m.e2eMs).toBe(61); // latency figures still count from the intended start
    expect(m.ttftMs).toBe(40);
  });

  it("has no overhead when the wire reports no durations (OpenAI's API, a reference server)", () => {
    const tl = {
      intendedStart: 0,
      sentAt: 0,
      chunks: [
        { t: 5, text: "a" },
        { t: 6, text: "" },
      ],
      end: 6,
    };
    expect(computeStreamMetrics(tl).overheadMs).toBeUndefined();
    const zero = { totalMs: 0, loadMs: 0, promptEvalMs: 0, evalMs: 0, evalCount: 1, promptEvalCount: 0 };
    const m = computeStreamMetrics({ ...tl, server: zero });
    expect(m.overheadMs).toBeUndefined();
    expect(m.ttftOverheadMs).toBeUndefined();
    expect(m.tokens).toBe(1);
  });

  it("counts tokens from eval_count, so several tokens per chunk give the right TPOT", () => {
    // 12 tokens in 3 chunks of 4, one token every 5 ms after the first: chunks arrive when their last token is due.
    const tl = {
      intendedStart: 0,
      sentAt: 0,
      chunks: [
        { t: 20 + 3 * 5, text: "aaaa" },
        { t: 20 + 7 * 5, text: "bbbb" },
        { t: 20 + 11 * 5, text: "cccc" },
        { t: 20 + 11 * 5, text: "" },
      ],
      end: 75,
    };
    const server = { totalMs: 75, loadMs: 0, promptEvalMs: 20, evalMs: 55, evalCount: 12, promptEvalCount: 3 };
    const m = computeStreamMetrics({ ...tl, server });
    expect(m.chunks).toBe(3);
    expect(m.tokens).toBe(12);
    expect(m.perTokenMs).toBeCloseTo((75 - 35) / 11, 9); // from tokens
    const byChunks = computeStreamMetrics(tl);
    expect(byChunks.tokens).toBe(3);
    expect(byChunks.perTokenMs).toBe((75 - 35) / 2); // what counting chunks would claim: 5.5× too slow
    expect(m.gapsMs).toEqual([20, 20]); // gaps stay per chunk
  });
});
