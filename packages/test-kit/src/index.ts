/**
 * `@modelwire/test-kit`: what modelwire's tests share (private, never published). Polling and plateau checks and
 * the committed TLS test certificates here; fast-check arbitraries in `@modelwire/test-kit/arbitraries`.
 */
export { type PlateauOptions, plateau, type UntilOptions, until } from "./poll.js";
export { type TestTls, testTls } from "./tls.js";
