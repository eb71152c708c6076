import { afterEach, describe, expect, it, vi } from "vitest";
import { intFlag } from "./int-flag.js";

describe("intFlag (fuzz and soak script flags)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("returns integers at or above the minimum", () => {
    expect(intFlag("seed", "0", 0)).toBe(0);
    expect(intFlag("inputs", "30000", 1)).toBe(30000);
  });

  it.each(["0", "-3", "1.5", "abc", "", undefined])("exits 2 naming the flag for %j", (v) => {
    const exit = vi.spyOn(process, "exit").mockImplementation(((code?: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(() => intFlag("inputs", v, 1)).toThrow("exit 2");
    expect(exit).toHaveBeenCalledWith(2);
    expect(err).toHaveBeenCalledWith(`--inputs must be an integer >= 1, got ${v}`);
  });
});
