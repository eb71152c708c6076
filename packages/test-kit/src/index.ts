/**
 * `@modelwire/test-kit`: what modelwire's tests share (private, never published). Polling and plateau checks, the
 * expected-failure check and the committed TLS test certificates here; fast-check arbitraries in
 * `@modelwire/test-kit/arbitraries`, a stand-in Ollama/OpenAI server in `@modelwire/test-kit/standin`.
 */
export { failure } from "./failure.js";
export { type PlateauOptions, plateau, type UntilOptions, until } from "./poll.js";
export { readOutcome, type StreamOutcome } from "./stream-outcome.js";
export { type TestTls, testTls } from "./tls.js";
