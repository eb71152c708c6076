import { ModelwireError } from "@modelwire/core";
import { afterEach, expect } from "vitest";

/** Awaits a call (or a function starting one) that must fail; asserts it failed with a ModelwireError, returns it. */
export async function failure(p: Promise<unknown> | (() => Promise<unknown>)): Promise<ModelwireError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelwireError);
    return e as ModelwireError;
  }
  throw new Error("expected the call to fail");
}

/**
 * A list of clean-up steps (closing servers and clients) that runs after each test of the calling file, last added
 * first; steps may be taken off it to run them earlier.
 */
export function cleanupAfterEach(): Array<() => Promise<void> | void> {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  return cleanup;
}
