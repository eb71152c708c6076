/**
 * @modelwire/engine: the {@link Engine} every modelwire server calls, the deterministic synthetic engine (the
 * embedded default, so protocol cost can be isolated and every token verified), and the upstream engine that puts
 * a real Ollama behind any server.
 *
 * @packageDocumentation
 */
export type { Engine, EngineContext, EngineStats } from "./engine.js";
export { backgroundContext } from "./engine.js";
export {
  createSyntheticEngine,
  resolveSyntheticConfig,
  plannedTokenCount,
  expectedGenerateTokens,
  expectedChatTokens,
  type SyntheticEngine,
  type SyntheticEngineOptions,
  type SyntheticEngineConfig,
} from "./synthetic.js";
export { createUpstreamEngine, type UpstreamEngine } from "./client-engine.js";
export { createStreamVerifier, type StreamVerifier, type VerifyReport } from "./verifier.js";
export { syntheticTokens, chatPromptText, generatePromptText, countPromptTokens } from "./script.js";
export { DEFAULT_MODELS, findModel, type SyntheticModel } from "./models.js";
export { validateOptions, validateModelField, MIN_NUM_PREDICT } from "./validate.js";
export { sleepUntil } from "./sleep.js";
export { hash32, createPrng, type Prng } from "./prng.js";
export { createAdmission, type Admission, type AdmissionOptions, type AdmissionStats } from "./admission.js";
export { guardEngine } from "./guarded-engine.js";
