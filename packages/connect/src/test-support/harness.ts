import { afterEach } from "vitest";

/** Awaits a call that must fail and returns its ModelwireError (the test kit's check). */
export { failure } from "@modelwire/test-kit";

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
