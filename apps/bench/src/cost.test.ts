import { describe, expect, it } from "vitest";
import { costFigures, perUnit } from "./cost.js";

describe("costFigures", () => {
  const totals = { serverCpuMicros: 9000, bytesIn: 300, bytesOut: 900, serverRssBytes: 5, serverMaxRssBytes: 7 };

  it("divides the totals per request and per token", () => {
    const c = costFigures(totals, 3, 12, 600);
    expect(c).toEqual({
      serverCpuMicros: 9000,
      serverCpuPerRequestUs: 3000,
      serverCpuPerTokenUs: 750,
      bytesIn: 300,
      bytesOut: 900,
      bytesPerRequest: 400,
      bytesPerToken: 100,
      serverRssBytes: 5,
      serverMaxRssBytes: 7,
      generatorCpuPerRequestUs: 200,
    });
  });

  it("reports NaN, not 0 or Infinity, when nothing was counted or the server was not read", () => {
    const none = costFigures(totals, 0, 0, 600);
    expect(none.serverCpuPerRequestUs).toBeNaN();
    expect(none.bytesPerToken).toBeNaN();
    expect(none.generatorCpuPerRequestUs).toBeNaN();
    const foreign = costFigures({ ...totals, serverCpuMicros: Number.NaN }, 3, 12, 600);
    expect(foreign.serverCpuPerTokenUs).toBeNaN();
    expect(foreign.bytesPerRequest).toBe(400);
    expect(perUnit(1, -1)).toBeNaN();
  });
});
