import { ModelwireError } from "@modelwire/core";

/**
 * Awaits a call (or a function starting one) that must fail, and returns its {@link ModelwireError}; rejects when
 * it succeeds, or fails with anything else (every wire reports failures as a ModelwireError).
 */
export async function failure(p: Promise<unknown> | (() => Promise<unknown>)): Promise<ModelwireError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    if (e instanceof ModelwireError) return e;
    throw new Error(`expected a ModelwireError, got ${String(e)}`, { cause: e });
  }
  throw new Error("expected the call to fail");
}
