import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampNow } from "@bufbuild/protobuf/wkt";
import {
  type ChatRequest,
  type ChatResponse,
  ChatResponseSchema,
  Code,
  type EmbedRequest,
  type EmbedResponse,
  EmbedResponseSchema,
  type GenerateRequest,
  type GenerateResponse,
  GenerateResponseSchema,
  invalidArgument,
  ListModelsResponseSchema,
  ListRunningResponseSchema,
  type MetricsSchema,
  ModelwireError,
  modelNotFound,
  type Options,
  type ShowModelRequest,
  ShowModelResponseSchema,
  throwIfAborted,
  VersionResponseSchema,
} from "@modelwire/core";
import type { Engine, EngineContext, EngineStats } from "./engine.js";
import { DEFAULT_MODELS, findModel, modelInfo, type SyntheticModel } from "./models.js";
import { createPrng, hash32 } from "./prng.js";
import { chatPromptText, countPromptTokens, generatePromptText, syntheticTokens } from "./script.js";
import { sleepUntil, yieldToEventLoop } from "./sleep.js";
import { validateModelField, validateOptions } from "./validate.js";

/** The synthetic engine's knobs. All delays are milliseconds. */
export interface SyntheticEngineOptions {
  /** Server-wide seed; output is a pure function of (seed, model, prompt, options.seed). Default 42. */
  seed?: number;
  /** Prompt-evaluation delay before the first token (time to first token). Default 0. */
  ttftMs?: number;
  /** Delay between consecutive tokens. Default 0. */
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

const ZERO_DELAY_YIELD_EVERY = 64;

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
  const nonNeg = (field: keyof SyntheticEngineConfig, integer = false) => {
    const v = c[field] as number;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
      throw invalidArgument(field, `${field} must be a non-negative ${integer ? "integer" : "number"}, got ${v}`);
    }
  };
  nonNeg("ttftMs");
  nonNeg("interTokenMs");
  nonNeg("tokens", true);
  nonNeg("maxTokens", true);
  nonNeg("seed", true);
  nonNeg("jitter");
  if (c.jitter >= 1) throw invalidArgument("jitter", `jitter must be in [0, 1), got ${c.jitter}`);
  nonNeg("embedDimensions", true);
  if (c.embedDimensions < 1) throw invalidArgument("embedDimensions", "embedDimensions must be at least 1");
  return c;
}

/** How many tokens a request gets, and whether that count is the request's own limit (`done_reason: "length"`). */
export function plannedTokenCount(options: Options | undefined, config: SyntheticEngineConfig) {
  const n = options?.numPredict;
  if (n !== undefined && n >= 0) return { count: Math.min(n, config.maxTokens), limited: true };
  return { count: Math.min(config.tokens, config.maxTokens), limited: false };
}

/** The tokens a generate request produces under `config` (pure; what a verifying client compares against). */
export function expectedGenerateTokens(request: GenerateRequest, config: SyntheticEngineConfig): string[] {
  return syntheticTokens({
    seed: config.seed,
    model: request.model,
    prompt: generatePromptText(request),
    requestSeed: request.options?.seed,
    count: plannedTokenCount(request.options, config).count,
  });
}

/** The tokens a chat request produces under `config`. */
export function expectedChatTokens(request: ChatRequest, config: SyntheticEngineConfig): string[] {
  return syntheticTokens({
    seed: config.seed,
    model: request.model,
    prompt: chatPromptText(request),
    requestSeed: request.options?.seed,
    count: plannedTokenCount(request.options, config).count,
  });
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

  /**
   * The shared token loop: waits for the time to first token, then yields one chunk per token on an absolute
   * schedule (no drift), then the final chunk with metrics.
   */
  async function* run<T>(
    tokens: string[],
    limited: boolean,
    promptText: string,
    ctx: EngineContext,
    chunk: (text: string) => T,
    final: (reason: string, metrics: MessageInitShape<typeof MetricsSchema>) => T,
  ): AsyncGenerator<T> {
    const cfg = config;
    const signal = ctx.signal;
    const start = performance.now();
    const jitter = cfg.jitter > 0 ? createPrng(hash32(cfg.seed, promptText, "jitter")) : undefined;
    const jittered = (d: number) => (jitter && d > 0 ? d * (1 + cfg.jitter * (2 * jitter.next() - 1)) : d);
    const zeroDelay = cfg.ttftMs === 0 && cfg.interTokenMs === 0;
    let target = start + jittered(cfg.ttftMs);
    await sleepUntil(target, signal);
    const promptDone = performance.now();
    for (let i = 0; i < tokens.length; i++) {
      if (i > 0) {
        target += jittered(cfg.interTokenMs);
        const wait = sleepUntil(target, signal);
        if (wait) await wait;
        else if (zeroDelay && i % ZERO_DELAY_YIELD_EVERY === 0) await yieldToEventLoop();
      }
      throwIfAborted(signal);
      stats.tokens++;
      yield chunk(tokens[i]);
    }
    throwIfAborted(signal);
    const end = performance.now();
    yield final(limited ? "length" : "stop", {
      totalDuration: msToNs(end - start),
      loadDuration: 0n,
      promptEvalCount: countPromptTokens(promptText),
      promptEvalDuration: msToNs(promptDone - start),
      evalCount: tokens.length,
      evalDuration: msToNs(end - promptDone),
    });
  }

  /** Counts a stream's life in the stats, whatever way it ends. */
  async function* counted<T>(inner: AsyncGenerator<T>, signal: AbortSignal): AsyncGenerator<T> {
    stats.requests++;
    stats.inFlight++;
    try {
      yield* inner;
    } catch (e) {
      if (signal.aborted) stats.cancelled++;
      else stats.errors++;
      throw e;
    } finally {
      stats.inFlight--;
    }
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
      const m = requireModel(request.model, "completion");
      validateOptions(request.options);
      const { limited } = plannedTokenCount(request.options, config);
      const tokens = expectedGenerateTokens(request, config);
      const model = m.name ?? request.model;
      return counted(
        run(
          tokens,
          limited,
          generatePromptText(request),
          ctx,
          (text): GenerateResponse =>
            create(GenerateResponseSchema, { model, createdAt: timestampNow(), response: text }),
          (doneReason, metrics) =>
            create(GenerateResponseSchema, { model, createdAt: timestampNow(), done: true, doneReason, metrics }),
        ),
        ctx.signal,
      );
    },

    chat(request, ctx) {
      const m = requireModel(request.model, "completion");
      validateOptions(request.options);
      if (request.messages.length === 0) {
        // Ollama answers an empty conversation with a "load" reply; a synthetic model has nothing to load.
        throw invalidArgument("messages", "messages must not be empty");
      }
      const { limited } = plannedTokenCount(request.options, config);
      const tokens = expectedChatTokens(request, config);
      const model = m.name ?? request.model;
      return counted(
        run(
          tokens,
          limited,
          chatPromptText(request),
          ctx,
          (text): ChatResponse =>
            create(ChatResponseSchema, {
              model,
              createdAt: timestampNow(),
              message: { role: "assistant", content: text },
            }),
          (doneReason, metrics) =>
            create(ChatResponseSchema, {
              model,
              createdAt: timestampNow(),
              message: { role: "assistant", content: "" },
              done: true,
              doneReason,
              metrics,
            }),
        ),
        ctx.signal,
      );
    },

    async embed(request: EmbedRequest, ctx): Promise<EmbedResponse> {
      stats.requests++;
      try {
        const m = requireModel(request.model, "embedding");
        validateOptions(request.options);
        if (request.dimensions < 0) throw invalidArgument("dimensions", "dimensions must be >= 0");
        throwIfAborted(ctx.signal);
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

function msToNs(ms: number): bigint {
  return BigInt(Math.max(0, Math.round(ms * 1e6)));
}
