import { describe, expect, it } from "vitest";
import { plateau, until } from "./poll.js";

describe("until", () => {
  it("resolves once the condition holds, sync or async", async () => {
    let n = 0;
    const t = setInterval(() => n++, 5);
    try {
      await until(() => n >= 3);
      expect(n).toBeGreaterThanOrEqual(3);
      await until(async () => n >= 5, { everyMs: 1 });
      expect(n).toBeGreaterThanOrEqual(5);
    } finally {
      clearInterval(t);
    }
  });

  it("rejects naming the condition when it never holds", async () => {
    await expect(until(() => 1 > 2, 30)).rejects.toThrow(/within 30 ms: \(\) => 1 > 2/);
  });
});

describe("plateau", () => {
  it("returns where a counter stopped", async () => {
    let n = 0;
    const t = setInterval(() => {
      if (n < 40) n++;
    }, 1);
    try {
      expect(await plateau(() => n, { everyMs: 20 })).toBe(40);
    } finally {
      clearInterval(t);
    }
  });

  it("rejects while the counter keeps moving, and tolerance admits small moves", async () => {
    let n = 0;
    const t = setInterval(() => n++, 1);
    try {
      await expect(plateau(() => n, { everyMs: 10, timeoutMs: 100 })).rejects.toThrow(/still moving after 100 ms/);
      const slow = { n: 0 };
      const s = setInterval(() => slow.n++, 25);
      try {
        expect(await plateau(() => slow.n, { everyMs: 10, tolerance: 1_000, stableFor: 2 })).toBeGreaterThanOrEqual(0);
      } finally {
        clearInterval(s);
      }
    } finally {
      clearInterval(t);
    }
  });
});
