/** What a {@link StreamVerifier} found once a stream ended. */
export interface VerifyReport {
  /** True when the received tokens equal the expected ones exactly. */
  ok: boolean;
  /** Tokens expected. */
  expected: number;
  /** Content chunks received. */
  received: number;
  /** Expected tokens never received (a gap). */
  lost: number;
  /** Received tokens that repeat the one before them. */
  duplicated: number;
  /** Received tokens that belong at an earlier position than where they arrived. */
  outOfOrder: number;
  /** Received tokens that match no expected token at all. */
  mismatched: number;
}

/** Checks a streamed reply chunk by chunk against the tokens the synthetic engine promised. */
export interface StreamVerifier {
  /** Feeds one content chunk's text (an empty chunk, such as the final one, is ignored). */
  push(text: string): void;
  /** The verdict so far; call after the final chunk. */
  report(): VerifyReport;
}

/**
 * Creates a verifier for one stream. Each content chunk must be the next expected token; a deviation is
 * classified as lost (the chunk is a later token: the ones skipped are lost), duplicated (it equals the previous
 * token), out-of-order (it is an earlier token) or mismatched.
 */
export function createStreamVerifier(expected: readonly string[]): StreamVerifier {
  let pos = 0;
  let received = 0;
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  let mismatched = 0;
  return {
    push(text) {
      if (text.length === 0) return;
      received++;
      if (pos < expected.length && expected[pos] === text) {
        pos++;
        return;
      }
      if (pos > 0 && expected[pos - 1] === text) {
        duplicated++;
        return;
      }
      const ahead = expected.indexOf(text, pos + 1);
      if (ahead > pos) {
        lost += ahead - pos;
        pos = ahead + 1;
        return;
      }
      if (expected.lastIndexOf(text, pos - 1) >= 0) {
        outOfOrder++;
        return;
      }
      mismatched++;
    },
    report() {
      const missingTail = expected.length - pos;
      const totalLost = lost + missingTail;
      return {
        ok: totalLost === 0 && duplicated === 0 && outOfOrder === 0 && mismatched === 0 && received === expected.length,
        expected: expected.length,
        received,
        lost: totalLost,
        duplicated,
        outOfOrder,
        mismatched,
      };
    },
  };
}
