import { describe, expect, it } from "vitest";
import { isCi, requireChromium } from "./chromium.js";

const MISSING = "/nonexistent/chromium";

/** A stand-in for vitest's context: records the note and throws as ctx.skip does. */
function fakeContext() {
  const ctx = {
    note: undefined as string | undefined,
    skip(note?: string): never {
      ctx.note = note;
      throw new Error("skipped");
    },
  };
  return ctx;
}

describe("requireChromium", () => {
  it("fails, not skips, in CI when Chromium is missing", () => {
    const ctx = fakeContext();
    expect(() => requireChromium(ctx, MISSING, { CI: "true" })).toThrow(
      "headless Chromium is required in CI (CI=true): /nonexistent/chromium is absent",
    );
    expect(ctx.note).toBeUndefined();
  });

  it("skips with the reason outside CI", () => {
    const ctx = fakeContext();
    expect(() => requireChromium(ctx, MISSING, {})).toThrow("skipped");
    expect(ctx.note).toBe("no headless Chromium: /nonexistent/chromium is absent (apt-get install -y chromium)");
  });

  it("returns when the binary is there", () => {
    const ctx = fakeContext();
    requireChromium(ctx, process.execPath, { CI: "true" });
    expect(ctx.note).toBeUndefined();
  });

  it("reads CI as CI providers set it", () => {
    expect(isCi({ CI: "true" })).toBe(true);
    expect(isCi({ CI: "1" })).toBe(true);
    expect(isCi({ CI: "false" })).toBe(false);
    expect(isCi({ CI: "0" })).toBe(false);
    expect(isCi({ CI: "" })).toBe(false);
    expect(isCi({})).toBe(false);
  });
});
