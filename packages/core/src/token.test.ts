import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createBearerCheck, createTokenCheck } from "./token.js";

describe("token checks", () => {
  it("match only the exact token, whatever the length of what is given", () => {
    const check = createTokenCheck("s3cret");
    expect(check("s3cret")).toBe(true);
    expect(check(new TextEncoder().encode("s3cret"))).toBe(true);
    for (const wrong of ["", "s3cre", "s3cret ", "S3cret", "s3cret\0", "x".repeat(10_000)]) {
      expect(check(wrong)).toBe(false);
    }
    expect(check(undefined)).toBe(false);
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a.length > 0);
        expect(createTokenCheck(a)(b)).toBe(a === b);
      }),
    );
  });

  it("refuse an empty expected token", () => {
    expect(() => createTokenCheck("")).toThrow(RangeError);
  });

  it("read a bearer header with a case-insensitive scheme", () => {
    const check = createBearerCheck("t0k");
    expect(check("Bearer t0k")).toBe(true);
    expect(check("bearer t0k")).toBe(true);
    expect(check("BEARER t0k")).toBe(true);
    for (const wrong of [
      undefined,
      "",
      "t0k",
      "Bearer",
      "Bearer ",
      "Bearer t0",
      "Bearer t0k ",
      "Basic t0k",
      "Bearert0k",
    ]) {
      expect(check(wrong)).toBe(false);
    }
    expect(createBearerCheck(undefined)(undefined)).toBe(true);
  });
});
