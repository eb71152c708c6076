import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  abortReason,
  type ChatRequest,
  type ChatResponse,
  Code,
  type EmbedRequest,
  type EmbedResponse,
  EmbedResponseSchema,
  type GenerateRequest,
  type GenerateResponse,
  invalidArgument,
  ListModelsResponseSchema,
  ListRunningResponseSchema,
  type Metrics,
  ModelwireError,
  modelNotFound,
  newChatResponse,
  newGenerateResponse,
  type Options,
  type ShowModelRequest,
  ShowModelResponseSchema,
  timestampOfMs,
  VersionResponseSchema,
} from "@modelwire/core";
import { type Engine, type EngineContext, type EngineStats, isAborted } from "./engine.js";
import { parseFormat } from "./format.js";
import { SYNTHETIC_LIMITS } from "./limits.js";
import { DEFAULT_MODELS, findModel, modelInfo, type SyntheticModel } from "./models.js";
import { contentOf, planReply, type ReplyPlan, stopsOf } from "./plan.js";
import { createPrng, hash32 } from "./prng.js";
import { chatPromptText, countPromptTokens, generatePromptText } from "./script.js";
import { validateStops } from "./stop.js";
import { msToNs, type StreamModel, TokenStream } from "./token-stream.js";
import { validateModelField, validateOptions } from "./validate.js";

/** Until residency is tracked: every model is always loaded. */
const RESIDENT: StreamModel = { acquire: () => 0, release() {} };

/** The synthetic engine's knobs. All delays are milliseconds. */
export interface SyntheticEngineOptions {
  /** Server-wide seed; output is a pure function of (seed, model, prompt, options.seed). Default 42. */
  seed?: number;
  /** Prompt-evaluation delay before the first token (time to first token). Default 0, at most one hour. */
  ttftMs?: number;
  /** Delay between consecutive tokens. Default 0, at most one hour. The bounds are {@link SYNTHETIC_LIMITS}. */
  interTokenMs?: number;
  /** Tokens produced when the request sets no positive `num_predict`. Default 16. */
  tokens?: number;
  /** Relative jitter of each delay, in [0, 1): a delay d becomes d × (1 ± jitter), seeded. Default 0. */
  jitter?: number;
  /** Upper bound on tokens for one request, whatever `num_predict` asks. Default 1,000,000. */
  maxTokens?: number;
  /** Embedding dimensions when the request sets none. Default 384. */
  embedDimensions?: number;
  /** Models served. Default: {@link DEFAULT_MODELS}. */
  models?: readonly SyntheticModel[];
  /** The version string `/api/version` reports. */
  version?: string;
}

/** The resolved knobs (every field set). */
export type SyntheticEngineConfig = Required<SyntheticEngineOptions>;

/** A synthetic engine: an {@link Engine} whose knobs can be read and changed at run time. */
export interface SyntheticEngine extends Engine {
  /** The knobs in force. */
  readonly config: Readonly<SyntheticEngineConfig>;
  /** Changes knobs for calls that start afterwards; throws `InvalidArgument` naming a bad field. */
  configure(options: SyntheticEngineOptions): void;
  /** The content tokens a generate request will produce (what a client should receive). */
  expectedGenerate(request: GenerateRequest): string[];
  /** The content tokens a chat request will produce. */
  expectedChat(request: ChatRequest): string[];
}

/** Resolves and validates knobs; throws `InvalidArgument` naming the field. */
export function resolveSyntheticConfig(
  options: SyntheticEngineOptions = {},
  base?: SyntheticEngineConfig,
): SyntheticEngineConfig {
  const c: SyntheticEngineConfig = {
    seed: 42,
    ttftMs: 0,
    interTokenMs: 0,
    tokens: 16,
    jitter: 0,
    maxTokens: 1_000_000,
    embedDimensions: 384,
    models: DEFAULT_MODELS,
    version: "0.12.0-modelwire",
    ...base,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  };
  const bounded = (field: keyof typeof SYNTHETIC_LIMITS, integer = false) => {
    const v = c[field] as number;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
      throw invalidArgument(field, `${field} must be a non-negative ${integer ? "integer" : "number"}, got ${v}`);
    }
    const max = SYNTHETIC_LIMITS[field];
    if (field === "jitter" ? v >= max : v > max) {
      throw invalidArgument(field, `${field} must be ${field === "jitter" ? "below" : "at most"} ${max}, got ${v}`);
    }
  };
  bounded("ttftMs");
  bounded("interTokenMs");
  bounded("tokens", true);
  bounded("maxTokens", true);
  bounded("seed", true);
  bounded("jitter");
  bounded("embedDimensions", true);
  if (c.embedDimensions < 1) throw invalidArgument("embedDimensions", "embedDimensions must be at least 1");
  return c;
}

/** How many tokens a request gets, and whether that count is the request's own limit (`done_reason: "length"`). */
export function plannedTokenCount(options: Options | undefined, config: SyntheticEngineConfig) {
  const n = options?.numPredict;
  if (n !== undefined && n >= 0) return { count: Math.min(n, config.maxTokens), limited: true };
  return { count: Math.min(config.tokens, config.maxTokens), limited: false };
}

/** The model name a request's output is keyed on: the canonical name when the model is known. */
function canonicalModel(name: string, config: SyntheticEngineConfig): string {
  return findModel(config.models, name)?.name ?? name;
}

/** The length of a reply whose request sets no `num_predict`. */
function defaultSize(config: SyntheticEngineConfig): number {
  return Math.min(config.tokens, config.maxTokens);
}

/** What a generate request streams under `config` (pure). */
export function planGenerate(request: GenerateRequest, config: SyntheticEngineConfig): ReplyPlan {
  const { count, limited } = plannedTokenCount(request.options, config);
  return planReply(
    {
      seed: config.seed,
      model: canonicalModel(request.model, config),
      prompt: generatePromptText(request),
      requestSeed: request.options?.seed,
    },
    {
      count,
      limited,
      think: false,
      stops: stopsOf(request.options),
      format: parseFormat(request.format),
      size: defaultSize(config),
    },
  );
}

/** What a chat request streams under `config` (pure). */
export function planChat(request: ChatRequest, config: SyntheticEngineConfig): ReplyPlan {
  const { count, limited } = plannedTokenCount(request.options, config);
  return planReply(
    {
      seed: config.seed,
      model: canonicalModel(request.model, config),
      prompt: chatPromptText(request),
      requestSeed: request.options?.seed,
    },
    {
      count,
      limited,
      think: false,
      stops: stopsOf(request.options),
      format: parseFormat(request.format),
      size: defaultSize(config),
    },
  );
}

/** The content chunks a generate request produces under `config` (pure; what a verifying client compares against). */
export function expectedGenerateTokens(request: GenerateRequest, config: SyntheticEngineConfig): string[] {
  return contentOf(planGenerate(request, config));
}

/** The content chunks a chat request produces under `config`. */
export function expectedChatTokens(request: ChatRequest, config: SyntheticEngineConfig): string[] {
  return contentOf(planChat(request, config));
}

/**
 * Creates the deterministic synthetic model: seeded output, tunable time to first token, inter-token delay and
 * token count, prompt cancellation, Ollama-style durations and counts.
 */
export function createSyntheticEngine(options: SyntheticEngineOptions = {}): SyntheticEngine {
  let config = resolveSyntheticConfig(options);
  const stats: EngineStats = { requests: 0, inFlight: 0, tokens: 0, cancelled: 0, errors: 0 };

  function requireModel(name: string, kind: "completion" | "embedding"): SyntheticModel {
    validateModelField(name);
    const m = findModel(config.models, name);
    if (!m) throw modelNotFound(name);
    if (kind === "embedding" && !m.embedding) {
      throw new ModelwireError(`"${name}" does not support embeddings`, Code.InvalidArgument, { field: "model" });
    }
    if (kind === "completion" && m.embedding) {
      throw new ModelwireError(`"${name}" does not support generate`, Code.InvalidArgument, { field: "model" });
    }
    return m;
  }

  /** Streams a plan (see {@link TokenStream}). */
  function run<T>(
    plan: ReplyPlan,
    promptText: string,
    ctx: EngineContext,
    chunk: (text: string, thinking: boolean) => T,
    final: (reason: string, metrics: Metrics | undefined) => T,
  ): AsyncIterableIterator<T> {
    return new TokenStream(config, stats, plan, promptText, countPromptTokens(promptText), ctx, RESIDENT, chunk, final);
  }

  const engine: SyntheticEngine = {
    get config() {
      return config;
    },
    configure(next) {
      config = resolveSyntheticConfig(next, config);
    },
    expectedGenerate: (r) => expectedGenerateTokens(r, config),
    expectedChat: (r) => expectedChatTokens(r, config),

    generate(request, ctx) {
      requireModel(request.model, "completion");
      validateOptions(request.options);
      validateStops(stopsOf(request.options));
      const plan = planGenerate(request, config);
      const model = request.model;
      return run(
        plan,
        generatePromptText(request),
        ctx,
        (text, thinking): GenerateResponse =>
          newGenerateResponse(
            thinking
              ? { model, createdAt: timestampOfMs(Date.now()), thinking: text }
              : { model, createdAt: timestampOfMs(Date.now()), response: text },
          ),
        (doneReason, metrics) =>
          newGenerateResponse({ model, createdAt: timestampOfMs(Date.now()), done: true, doneReason, metrics }),
      );
    },

    chat(request, ctx) {
      requireModel(request.model, "completion");
      validateOptions(request.options);
      validateStops(stopsOf(request.options));
      if (request.messages.length === 0) {
        // Ollama answers an empty conversation with a "load" reply; a synthetic model has nothing to load.
        throw invalidArgument("messages", "messages must not be empty");
      }
      const plan = planChat(request, config);
      const model = request.model;
      return run(
        plan,
        chatPromptText(request),
        ctx,
        (text, thinking): ChatResponse =>
          newChatResponse(
            thinking
              ? { model, createdAt: timestampOfMs(Date.now()), role: "assistant", thinking: text }
              : { model, createdAt: timestampOfMs(Date.now()), role: "assistant", content: text },
          ),
        (doneReason, metrics) =>
          newChatResponse({
            model,
            createdAt: timestampOfMs(Date.now()),
            role: "assistant",
            done: true,
            doneReason,
            metrics,
          }),
      );
    },

    async embed(request: EmbedRequest, ctx): Promise<EmbedResponse> {
      stats.requests++;
      try {
        const m = requireModel(request.model, "embedding");
        validateOptions(request.options);
        if (request.dimensions < 0) throw invalidArgument("dimensions", "dimensions must be >= 0");
        if (isAborted(ctx)) throw abortReason(ctx.signal);
        const start = performance.now();
        const dims = request.dimensions > 0 ? request.dimensions : config.embedDimensions;
        const embeddings = request.input.map((text) => ({ values: embedVector(config.seed, m.name!, text, dims) }));
        const promptEvalCount = request.input.reduce((n, t) => n + countPromptTokens(t), 0);
        return create(EmbedResponseSchema, {
          model: m.name,
          embeddings,
          totalDuration: msToNs(performance.now() - start),
          loadDuration: 0n,
          promptEvalCount,
        });
      } catch (e) {
        stats.errors++;
        throw e;
      }
    },

    async list() {
      return create(ListModelsResponseSchema, { models: config.models.map(modelInfo) });
    },

    async running() {
      const expiresAt = timestampFromMs(Date.now() + 300_000);
      return create(ListRunningResponseSchema, {
        models: config.models.slice(0, 1).map((m) => {
          const info = modelInfo(m);
          info.modifiedAt = undefined;
          info.expiresAt = expiresAt;
          return info;
        }),
      });
    },

    async show(request: ShowModelRequest) {
      const m = findModel(config.models, request.model);
      validateModelField(request.model);
      if (!m) throw modelNotFound(request.model);
      return create(ShowModelResponseSchema, {
        license: "Apache-2.0 (synthetic)",
        modelfile: `# Modelfile generated by modelwire\nFROM ${m.name}\n`,
        parameters: 'stop "<|end|>"',
        template: "{{ .System }}\n{{ .Prompt }}",
        details: m.details,
        // protobuf-es carries google.protobuf.Struct as a plain JSON object.
        modelInfo: { "general.architecture": "synthetic", "general.parameter_count": 1_200_000_000 },
        capabilities: m.embedding ? ["embedding"] : ["completion"],
        modifiedAt: m.modifiedAt,
      });
    },

    async version() {
      return create(VersionResponseSchema, { version: config.version });
    },

    stats: () => ({ ...stats }),
    resetStats() {
      stats.requests = 0;
      stats.tokens = 0;
      stats.cancelled = 0;
      stats.errors = 0;
    },
    async close() {},
  };
  return engine;
}

/** A deterministic unit-length vector for a text. */
function embedVector(seed: number, model: string, text: string, dims: number): number[] {
  const prng = createPrng(hash32(seed, model, text, "embed"));
  const v = new Array<number>(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    v[i] = prng.next() * 2 - 1;
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dims; i++) v[i] = Math.fround(v[i] / norm);
  return v;
}
