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
import { findModel, modelInfo, SYNTHETIC_ARCH, type SyntheticModel } from "./models.js";
import { stopsOf } from "./plan.js";
import { createPrng, hash32 } from "./prng.js";
import { ReplyIds } from "./reply-context.js";
import { ReplySource, type ReplySpec } from "./reply-source.js";
import { createResidency, DEFAULT_CONTEXT_LENGTH, keepAliveMs } from "./residency.js";
import { chatPromptText, countPromptTokens, generatePromptText } from "./script.js";
import { sleepUntil } from "./sleep.js";
import { validateStops } from "./stop.js";
import { resolveSyntheticConfig, type SyntheticEngineConfig, type SyntheticEngineOptions } from "./synthetic-config.js";
import { expectedChatTokens, expectedGenerateTokens, specChat, specGenerate } from "./synthetic-plan.js";
import { msToNs, type StreamModel, TokenStream } from "./token-stream.js";
import { validateKeepAlive, validateModelField, validateOptions } from "./validate.js";

export { resolveSyntheticConfig, type SyntheticEngineConfig, type SyntheticEngineOptions } from "./synthetic-config.js";
export {
  expectedChatTokens,
  expectedGenerateTokens,
  planChat,
  planGenerate,
  plannedTokenCount,
} from "./synthetic-plan.js";

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

/** Whether `think` asks for thinking (`true` or a level). */
function thinkRequested(think: Think | undefined): boolean {
  return think?.value.case === "enabled" ? think.value.value : think?.value.case === "level";
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

  /** Checks what every streaming call checks, then streams its reply, produced as it is sent (see {@link TokenStream}). */
  function run<T>(
    request: GenerateRequest | ChatRequest,
    plan: (config: SyntheticEngineConfig) => ReplySpec,
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
    return new TokenStream(
      config,
      stats,
      new ReplySource(p),
      promptText,
      countPromptTokens(promptText),
      ctx,
      model,
      chunk,
      final,
    );
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
      // A reply (not a load) ends with the conversation's token ids unless the request is raw, as Ollama's: the ids
      // of the texts are collected as they are sent (nothing else of the reply is kept while it streams).
      const ids = request.raw ? undefined : new ReplyIds();
      return run(
        request,
        (c) => specGenerate(request, c),
        prompt,
        ctx,
        (text, thinking): GenerateResponse => {
          ids?.add(text);
          return newGenerateResponse(
            thinking
              ? { model, createdAt: timestampOfMs(Date.now()), thinking: text }
              : { model, createdAt: timestampOfMs(Date.now()), response: text },
          );
        },
        (doneReason, metrics) =>
          newGenerateResponse({
            model,
            createdAt: timestampOfMs(Date.now()),
            done: true,
            doneReason,
            metrics,
            context: metrics && ids ? ids.context(request.context, prompt) : [],
          }),
      );
    },

    chat(request, ctx) {
      const model = request.model;
      return run(
        request,
        (c) => specChat(request, c),
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
