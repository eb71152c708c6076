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
  newMetrics,
  type Options,
  type ShowModelRequest,
  ShowModelResponseSchema,
  timestampOfMs,
  VersionResponseSchema,
} from "@modelwire/core";
import { type Engine, type EngineContext, type EngineStats, isAborted } from "./engine.js";
import { SYNTHETIC_LIMITS } from "./limits.js";
import { DEFAULT_MODELS, findModel, modelInfo, type SyntheticModel } from "./models.js";
import { createPrng, hash32 } from "./prng.js";
import { chatPromptText, countPromptTokens, generatePromptText, syntheticTokens } from "./script.js";
import { sleepUntil, yieldToEventLoop } from "./sleep.js";
import { validateModelField, validateOptions } from "./validate.js";

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
   * schedule (no drift), then the final chunk with metrics. The stream's life is counted in the stats whatever way
   * it ends (from its first `next()` until it finishes, fails or is returned early).
   */
  function run<T>(
    tokens: string[],
    limited: boolean,
    promptText: string,
    ctx: EngineContext,
    chunk: (text: string) => T,
    final: (reason: string, metrics: Metrics) => T,
  ): AsyncIterableIterator<T> {
    return new TokenStream(config, stats, tokens, limited, promptText, ctx, chunk, final);
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
      return run(
        tokens,
        limited,
        generatePromptText(request),
        ctx,
        (text): GenerateResponse =>
          newGenerateResponse({ model, createdAt: timestampOfMs(Date.now()), response: text }),
        (doneReason, metrics) =>
          newGenerateResponse({ model, createdAt: timestampOfMs(Date.now()), done: true, doneReason, metrics }),
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
      return run(
        tokens,
        limited,
        chatPromptText(request),
        ctx,
        (text): ChatResponse =>
          newChatResponse({ model, createdAt: timestampOfMs(Date.now()), role: "assistant", content: text }),
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

const DONE: IteratorResult<never> = Object.freeze({ done: true, value: undefined });

const ST_NEW = 0;
const ST_TOKENS = 1;
const ST_FINAL_SENT = 2;
const ST_DONE = 3;

/**
 * One synthetic stream as a hand-written async iterator (no generator layers): a step that needs no wait (the
 * zero-delay path) resolves at once; a step that waits awaits the schedule. Steps run one at a time, as
 * `for await` calls them.
 */
class TokenStream<T> implements AsyncIterableIterator<T> {
  private state = ST_NEW;
  private i = 0;
  private start = 0;
  private target = 0;
  private promptDone = 0;
  private readonly zeroDelay: boolean;
  private readonly jitter: ReturnType<typeof createPrng> | undefined;

  constructor(
    private readonly cfg: SyntheticEngineConfig,
    private readonly stats: EngineStats,
    private readonly tokens: string[],
    private readonly limited: boolean,
    private readonly promptText: string,
    private readonly ctx: EngineContext,
    private readonly chunk: (text: string) => T,
    private readonly final: (reason: string, metrics: Metrics) => T,
  ) {
    this.zeroDelay = cfg.ttftMs === 0 && cfg.interTokenMs === 0;
    this.jitter = cfg.jitter > 0 ? createPrng(hash32(cfg.seed, promptText, "jitter")) : undefined;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private jittered(d: number): number {
    const j = this.jitter;
    return j && d > 0 ? d * (1 + this.cfg.jitter * (2 * j.next() - 1)) : d;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.state === ST_DONE) return Promise.resolve(DONE);
    try {
      if (this.state === ST_FINAL_SENT) {
        this.finish();
        return Promise.resolve(DONE);
      }
      let wait: Promise<void> | undefined;
      if (this.state === ST_NEW) {
        this.state = ST_TOKENS;
        this.stats.requests++;
        this.stats.inFlight++;
        this.start = performance.now();
        this.target = this.start + this.jittered(this.cfg.ttftMs);
        wait = this.waitUntil(this.target);
        if (wait) return wait.then(() => this.afterPrompt()).catch((e) => this.fail(e));
        return Promise.resolve(this.afterPrompt());
      }
      if (this.i > 0 && this.i < this.tokens.length) {
        this.target += this.jittered(this.cfg.interTokenMs);
        wait = this.waitUntil(this.target);
        if (!wait && this.zeroDelay && this.i % ZERO_DELAY_YIELD_EVERY === 0) wait = yieldToEventLoop();
      }
      if (wait) return wait.then(() => this.emit()).catch((e) => this.fail(e));
      return Promise.resolve(this.emit());
    } catch (e) {
      return this.fail(e);
    }
  }

  /** A wait until `target` (ms), or `undefined` when it has passed: the signal is only touched to wait. */
  private waitUntil(target: number): Promise<void> | undefined {
    return target > performance.now() ? sleepUntil(target, this.ctx.signal) : undefined;
  }

  private afterPrompt(): IteratorResult<T> {
    this.promptDone = performance.now();
    return this.emit();
  }

  /** Produces the next token chunk or the final chunk; throws the signal's reason once it fired. */
  private emit(): IteratorResult<T> {
    if (this.state === ST_DONE) return DONE; // returned while a wait was pending
    if (isAborted(this.ctx)) throw abortReason(this.ctx.signal);
    const tokens = this.tokens;
    if (this.i < tokens.length) {
      this.stats.tokens++;
      return { done: false, value: this.chunk(tokens[this.i++]) };
    }
    const end = performance.now();
    this.state = ST_FINAL_SENT;
    return {
      done: false,
      value: this.final(
        this.limited ? "length" : "stop",
        newMetrics(
          msToNs(end - this.start),
          0n,
          countPromptTokens(this.promptText),
          msToNs(this.promptDone - this.start),
          tokens.length,
          msToNs(end - this.promptDone),
        ),
      ),
    };
  }

  private finish(): void {
    if (this.state === ST_DONE) return;
    const started = this.state !== ST_NEW;
    this.state = ST_DONE;
    if (started) this.stats.inFlight--;
  }

  private fail(e: unknown): Promise<never> {
    if (this.state !== ST_DONE) {
      if (isAborted(this.ctx)) this.stats.cancelled++;
      else this.stats.errors++;
      this.finish();
    }
    return Promise.reject(e);
  }

  return(): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.resolve(DONE);
  }

  throw(e?: unknown): Promise<IteratorResult<T>> {
    if (this.state === ST_NEW) {
      this.state = ST_DONE;
      return Promise.reject(e);
    }
    return this.fail(e);
  }
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
