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
