/**
 * `@modelwire/core/token`: constant-time checks of a shared secret (bearer tokens, MCP `auth-token`). Node only (it
 * uses `node:crypto`), which is why it is a sub-path and not part of the browser-safe main entry.
 *
 * Both sides are reduced to SHA-256 digests before `crypto.timingSafeEqual` compares them, so the comparison takes
 * the same time whatever the given value is, including its length (a plain length check before `timingSafeEqual`
 * would tell an attacker the token's length).
 *
 * @packageDocumentation
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** A check of a presented secret; `undefined` (nothing presented) never matches. */
export type TokenCheck = (given: string | Uint8Array | undefined) => boolean;

function digest(value: string | Uint8Array): Buffer {
  return createHash("sha256").update(value).digest();
}

/**
 * A constant-time check against `expected`. An empty expected token is refused: it would let an empty or absent
 * value through.
 */
export function createTokenCheck(expected: string): TokenCheck {
  if (expected.length === 0) throw new RangeError("an empty token cannot be checked");
  const want = digest(expected);
  return (given) => given !== undefined && timingSafeEqual(digest(given), want);
}

/**
 * A constant-time check of an `Authorization` header value against `Bearer <token>` (the scheme name is
 * case-insensitive, RFC 9110 §11.1; one space separates it from the token). Without a token every header passes,
 * so callers build the check once and call it on every request.
 */
export function createBearerCheck(token: string | undefined): (header: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const check = createTokenCheck(token);
  return (header) => {
    if (header === undefined || header.length < 7 || header.slice(0, 7).toLowerCase() !== "bearer ") {
      // Still spend one digest comparison, so a missing scheme is not faster to find than a wrong token.
      check(header ?? "");
      return false;
    }
    return check(header.slice(7));
  };
}
