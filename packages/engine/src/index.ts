/**
 * @modelwire/engine: implementations of the `Engine` contract (which lives in @modelwire/core): the deterministic
 * synthetic engine (the embedded default, so protocol cost can be isolated and every token verified), the upstream
 * engine that puts a real Ollama behind any server, and the admission guard every server shares.
 *
 * @packageDocumentation
 */

/**
 * The engine contract moved to @modelwire/core (a client-only consumer no longer installs this package); re-exported
 * here so existing imports keep working.
 */
export {
  backgroundContext,
  createEngineContext,
  type Engine,
  type EngineCallContext,
  type EngineContext,
  type EngineStats,
  isAborted,
} from "@modelwire/core";
export { type Admission, type AdmissionOptions, type AdmissionStats, createAdmission } from "./admission.js";
export { type CallCounter, createCallCounter } from "./call-counter.js";
export { createUpstreamEngine, type UpstreamEngine } from "./client-engine.js";
export { guardEngine } from "./guarded-engine.js";
export { MAX_TIMER_MS, SYNTHETIC_LIMITS } from "./limits.js";
export { DEFAULT_MODELS, findModel, type SyntheticModel } from "./models.js";
export { contentOf, type ReplyPlan } from "./plan.js";
export { createPrng, hash32, type Prng } from "./prng.js";
export { chatPromptText, countPromptTokens, generatePromptText, syntheticTokens } from "./script.js";
export { sleepUntil } from "./sleep.js";
export { applyStops, MAX_STOP_LENGTH, MAX_STOP_SEQUENCES, type StoppedText } from "./stop.js";
export {
  createSyntheticEngine,
  expectedChatTokens,
  expectedGenerateTokens,
  planChat,
  planGenerate,
  plannedTokenCount,
  resolveSyntheticConfig,
  type SyntheticEngine,
  type SyntheticEngineConfig,
  type SyntheticEngineOptions,
} from "./synthetic.js";
export {
  MAX_KEEP_ALIVE_SECONDS,
  MIN_NUM_PREDICT,
  validateKeepAlive,
  validateModelField,
  validateOptions,
} from "./validate.js";
export { createStreamVerifier, type StreamVerifier, type VerifyReport } from "./verifier.js";
