import { create } from "@bufbuild/protobuf";
import { type Duration, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  abortReason,
  type ChatRequest,
  type ChatResponse,
  Code,
  type EmbedRequest,
  type EmbedResponse,
  EmbedResponseSchema,
  type Engine,
  type EngineContext,
  type EngineStats,
  type GenerateRequest,
  type GenerateResponse,
  invalidArgument,
  isAborted,
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
  type Think,
  timestampOfMs,
  VersionResponseSchema,
} from "@modelwire/core";
import { parseFormat } from "./format.js";
import { SYNTHETIC_LIMITS } from "./limits.js";
import { DEFAULT_MODELS, findModel, modelInfo, SYNTHETIC_ARCH, type SyntheticModel } from "./models.js";
import { contentOf, emptyPlan, planReply, type ReplyPlan, stopsOf } from "./plan.js";
import { createPrng, hash32 } from "./prng.js";
import { replyContext } from "./reply-context.js";
import { createResidency, DEFAULT_CONTEXT_LENGTH, DEFAULT_KEEP_ALIVE_MS, keepAliveMs } from "./residency.js";
import { chatPromptText, countPromptTokens, generatePromptText } from "./script.js";
import { sleepUntil } from "./sleep.js";
import { validateStops } from "./stop.js";
import { msToNs, type StreamModel, TokenStream } from "./token-stream.js";
import { validateKeepAlive, validateModelField, validateOptions } from "./validate.js";

/** An unload call's model: nothing is loaded for it. */
const NOT_LOADED: StreamModel = { acquire: () => 0, release() {} };

/** The context length a call loads its model with: `num_ctx` (default 4096), capped to what it was trained on. */
function contextLength(m: SyntheticModel, options: Options | undefined): number {
  const asked = options?.numCtx !== undefined && options.numCtx > 0 ? options.numCtx : DEFAULT_CONTEXT_LENGTH;
  return Math.min(asked, m.trainedContext ?? asked);
}

/** A model's embedding width. */
function embeddingLength(m: SyntheticModel, config: SyntheticEngineConfig): number {
  return m.embeddingLength ?? config.embedDimensions;
}

/** A model's parameter count: its own, else read back from `details.parameter_size` ("1.2B"). */
function parameterCount(m: SyntheticModel): number {
  if (m.parameterCount !== undefined) return m.parameterCount;
  const hit = /^([\d.]+)([KMB]?)$/.exec(m.details?.parameterSize ?? "");
  if (!hit) return 0;
  return Math.round(Number(hit[1]) * ({ "": 1, K: 1e3, M: 1e6, B: 1e9 } as Record<string, number>)[hit[2]]);
}

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
  /**
   * Time to load a model that is not loaded (never used, unloaded by `keep_alive: 0`, or expired), ms: the first
   * call pays it and reports it as `load_duration`. Default 0, at most one hour.
   */
  loadMs?: number;
  /** How long a model stays loaded after its last call when the request sets no `keep_alive`, ms. Default 5 min. */
  keepAliveMs?: number;
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
    loadMs: 0,
    keepAliveMs: DEFAULT_KEEP_ALIVE_MS,
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
  bounded("loadMs");
  if (typeof c.keepAliveMs !== "number" || Number.isNaN(c.keepAliveMs) || c.keepAliveMs < 0) {
    throw invalidArgument("keepAliveMs", `keepAliveMs must be a non-negative number, got ${c.keepAliveMs}`);
  }
  if (c.embedDimensions < 1) throw invalidArgument("embedDimensions", "embedDimensions must be at least 1");
  return c;
}

/** How many tokens a request gets, and whether that count is the request's own limit (`done_reason: "length"`). */
export function plannedTokenCount(options: Options | undefined, config: SyntheticEngineConfig) {
  const n = options?.numPredict;
  if (n !== undefined && n >= 0) return { count: Math.min(n, config.maxTokens), limited: true };
  return { count: Math.min(config.tokens, config.maxTokens), limited: false };
}

/** The length of a reply whose request sets no `num_predict`. */
function defaultSize(config: SyntheticEngineConfig): number {
  return Math.min(config.tokens, config.maxTokens);
}

/** Whether a request's `keep_alive` is zero (with an empty prompt: unload the model). */
function keepAliveZero(d: Duration | undefined): boolean {
  return d !== undefined && d.seconds === 0n && d.nanos === 0;
}

/** Whether `think` asks for thinking (`true` or a level). */
function thinkRequested(think: Think | undefined): boolean {
  return think?.value.case === "enabled" ? think.value.value : think?.value.case === "level";
}

/** Whether a reply thinks first: a thinking model thinks unless the request says `think: false`, as Ollama's do. */
function thinks(model: SyntheticModel | undefined, think: Think | undefined): boolean {
  if (!model?.thinking) return false;
  return !(think?.value.case === "enabled" && !think.value.value);
}

function planFor(
  request: GenerateRequest | ChatRequest,
  prompt: string,
  empty: boolean,
  config: SyntheticEngineConfig,
): ReplyPlan {
  if (empty) return emptyPlan(keepAliveZero(request.keepAlive) ? "unload" : "load");
  const model = findModel(config.models, request.model);
  const { count, limited } = plannedTokenCount(request.options, config);
  return planReply(
    { seed: config.seed, model: model?.name ?? request.model, prompt, requestSeed: request.options?.seed },
    {
      count,
      limited,
      think: thinks(model, request.think),
      stops: stopsOf(request.options),
      format: parseFormat(request.format),
      size: defaultSize(config),
    },
  );
}

/** What a generate request streams under `config` (pure). An empty prompt only loads (or unloads) the model. */
export function planGenerate(request: GenerateRequest, config: SyntheticEngineConfig): ReplyPlan {
  return planFor(request, generatePromptText(request), request.prompt === "", config);
}

/** What a chat request streams under `config` (pure). No messages only loads (or unloads) the model. */
export function planChat(request: ChatRequest, config: SyntheticEngineConfig): ReplyPlan {
  return planFor(request, chatPromptText(request), request.messages.length === 0, config);
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

  const residency = createResidency(() => config.loadMs);

  /** The model a call names; `generate` refuses an embedding model, `embed` takes any (as Ollama schedules it). */
  function requireModel(name: string, kind: "completion" | "any"): SyntheticModel {
    validateModelField(name);
    const m = findModel(config.models, name);
    if (!m) throw modelNotFound(name);
    if (kind === "completion" && m.embedding) {
      throw new ModelwireError(`"${name}" does not support generate`, Code.InvalidArgument, { field: "model" });
    }
    return m;
  }

  /** Checks what every streaming call checks, then streams its plan (see {@link TokenStream}). */
  function run<T>(
    request: GenerateRequest | ChatRequest,
    plan: (config: SyntheticEngineConfig) => ReplyPlan,
    promptText: string,
    ctx: EngineContext,
    chunk: (text: string, thinking: boolean) => T,
    final: (reason: string, metrics: Metrics | undefined) => T,
  ): AsyncIterableIterator<T> {
    const m = requireModel(request.model, "completion");
    validateOptions(request.options);
    validateKeepAlive(request.keepAlive);
    validateStops(stopsOf(request.options));
    if (!m.thinking && thinkRequested(request.think)) {
      throw invalidArgument("think", `"${request.model}" does not support thinking`);
    }
    const p = plan(config);
    let model: StreamModel;
    if (p.kind === "unload") {
      residency.unload(m.name ?? "");
      model = NOT_LOADED;
    } else {
      model = residency.use(m, keepAliveMs(request.keepAlive, config.keepAliveMs), contextLength(m, request.options));
    }
    return new TokenStream(config, stats, p, promptText, countPromptTokens(promptText), ctx, model, chunk, final);
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
      const model = request.model;
      const prompt = generatePromptText(request);
      let planned: ReplyPlan | undefined;
      return run(
        request,
        (c) => {
          planned = planGenerate(request, c);
          return planned;
        },
        prompt,
        ctx,
        (text, thinking): GenerateResponse =>
          newGenerateResponse(
            thinking
              ? { model, createdAt: timestampOfMs(Date.now()), thinking: text }
              : { model, createdAt: timestampOfMs(Date.now()), response: text },
          ),
        (doneReason, metrics) =>
          newGenerateResponse({
            model,
            createdAt: timestampOfMs(Date.now()),
            done: true,
            doneReason,
            metrics,
            // A reply (not a load) ends with the conversation's token ids unless the request is raw, as Ollama's.
            context: metrics && planned && !request.raw ? replyContext(request.context, prompt, planned.texts) : [],
          }),
      );
    },

    chat(request, ctx) {
      const model = request.model;
      return run(
        request,
        (c) => planChat(request, c),
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
        const m = requireModel(request.model, "any");
        validateOptions(request.options);
        validateKeepAlive(request.keepAlive);
        if (request.dimensions < 0) throw invalidArgument("dimensions", "dimensions must be >= 0");
        if (isAborted(ctx)) throw abortReason(ctx.signal);
        const start = performance.now();
        const resident = residency.use(
          m,
          keepAliveMs(request.keepAlive, config.keepAliveMs),
          contextLength(m, request.options),
        );
        const readyAt = resident.acquire();
        try {
          let loaded = start;
          if (readyAt > performance.now()) {
            await sleepUntil(readyAt, ctx.signal);
            loaded = performance.now();
          }
          if (request.input.length === 0) {
            // Ollama's answer to an empty input: the model is loaded, nothing is embedded.
            return create(EmbedResponseSchema, { model: request.model, embeddings: [] });
          }
          const width = embeddingLength(m, config);
          const dims = request.dimensions > 0 && request.dimensions < width ? request.dimensions : width;
          const embeddings = request.input.map((text) => ({ values: embedVector(config.seed, m.name!, text, dims) }));
          const promptEvalCount = request.input.reduce((n, t) => n + countPromptTokens(t), 0);
          return create(EmbedResponseSchema, {
            model: request.model,
            embeddings,
            totalDuration: msToNs(performance.now() - start),
            loadDuration: msToNs(loaded - start),
            promptEvalCount,
          });
        } finally {
          resident.release();
        }
      } catch (e) {
        if (isAborted(ctx)) stats.cancelled++;
        else stats.errors++;
        throw e;
      }
    },

    async list() {
      return create(ListModelsResponseSchema, { models: config.models.map(modelInfo) });
    },

    async running() {
      return create(ListRunningResponseSchema, {
        models: residency.running().map((r) => {
          const info = modelInfo(r.model);
          info.modifiedAt = undefined;
          info.expiresAt = timestampFromMs(Math.floor(r.expiresAt));
          info.sizeVram = info.size;
          info.contextLength = r.contextLength;
          return info;
        }),
      });
    },

    async show(request: ShowModelRequest) {
      validateModelField(request.model);
      const m = findModel(config.models, request.model);
      if (!m) throw modelNotFound(request.model);
      return create(ShowModelResponseSchema, {
        license: "Apache-2.0 (synthetic)",
        modelfile: `# Modelfile generated by modelwire\nFROM ${m.name}\n`,
        parameters: 'stop "<|end|>"',
        template: "{{ .System }}\n{{ .Prompt }}",
        details: m.details,
        // protobuf-es carries google.protobuf.Struct as a plain JSON object.
        modelInfo: {
          "general.architecture": SYNTHETIC_ARCH,
          "general.parameter_count": parameterCount(m),
          [`${SYNTHETIC_ARCH}.context_length`]: m.trainedContext ?? DEFAULT_CONTEXT_LENGTH,
          [`${SYNTHETIC_ARCH}.embedding_length`]: embeddingLength(m, config),
        },
        capabilities: m.embedding ? ["embedding"] : m.thinking ? ["completion", "thinking"] : ["completion"],
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
