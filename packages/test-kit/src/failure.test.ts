import { Code, ModelwireError } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { failure } from "./failure.js";

describe("failure", () => {
  it("returns the ModelwireError of a failed call or of a function starting one", async () => {
    const err = new ModelwireError("nope", Code.NotFound);
    expect(await failure(Promise.reject(err))).toBe(err);
    expect(await failure(async () => Promise.reject(err))).toBe(err);
  });

  it("rejects when the call succeeds or fails with something else", async () => {
    await expect(failure(Promise.resolve(1))).rejects.toThrow("expected the call to fail");
    await expect(failure(async () => Promise.reject(new TypeError("boom")))).rejects.toThrow(
      "expected a ModelwireError, got TypeError: boom",
    );
  });
});
