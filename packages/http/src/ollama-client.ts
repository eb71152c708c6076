import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import {
  type CallOptions,
  ChatRequestSchema,
  type ChatResponse,
  EmbedRequestSchema,
  type EmbedResponse,
  GenerateRequestSchema,
  type GenerateResponse,
  type InferenceClient,
  type ListModelsResponse,
  type ListRunningResponse,
  ShowModelRequestSchema,
  type ShowModelResponse,
  type VersionResponse,
} from "@modelwire/core";
import { createHttpCaller, type HttpCallerOptions } from "./http-caller.js";
import { readOllamaStream } from "./ndjson.js";
import { errorFromJson } from "./ollama-error.js";
import { resolveOllamaHost } from "./ollama-host.js";
import {
  chatRequestToJson,
  chatResponseFromJson,
  embedRequestToJson,
  embedResponseFromJson,
  generateRequestToJson,
  generateResponseFromJson,
  listResponseFromJson,
  psResponseFromJson,
  showRequestToJson,
  showResponseFromJson,
  versionResponseFromJson,
} from "./ollama-json.js";

/** Options of {@link createOllamaClient}. */
export interface OllamaClientOptions extends HttpCallerOptions {
  /**
   * Ollama's address. Default: `OLLAMA_HOST` read by Ollama's rules (see {@link resolveOllamaHost}), else
   * `http://127.0.0.1:11434`.
   */
  host?: string;
  /** Longest NDJSON line accepted. Default 8 MiB. */
  maxLineBytes?: number;
}

/** The HTTP client: an {@link InferenceClient} plus its resolved address. */
export interface OllamaClient extends InferenceClient {
  /** The resolved base URL (origin and path prefix). */
  readonly baseUrl: string;
}

/**
 * Creates the HTTP client: Ollama's REST API over an undici Pool with keep-alive. Streams are read with the
 * NDJSON decoder; errors map to codes by status (and modelwire's `code` key when the server is modelwire's). A
 * call that failed before any response byte is retried with exponential backoff and full jitter, never past its
 * deadline. The call's remaining time is sent in the `x-modelwire-timeout-ms` header. `close()` cancels calls in
 * flight (`Canceled`) and closes the pool.
 */
export function createOllamaClient(options: OllamaClientOptions = {}): OllamaClient {
  const { origin, basePath } = resolveOllamaHost(options.host);
  const maxLineBytes = options.maxLineBytes;
  // A reply that is not JSON (a proxy's error page) still names the failure.
  const caller = createHttpCaller(origin, options, (body, status) =>
    errorFromJson(typeof body === "string" ? { error: body } : body, status),
  );

  const unary = <T>(
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    fromJson: (o: unknown) => T,
    o: CallOptions | undefined,
  ) => caller.json(method, basePath + path, body, fromJson, o);
  const stream = <T extends { done: boolean }>(
    path: string,
    body: string,
    fromJson: (o: unknown) => T,
    o: CallOptions | undefined,
  ) =>
    caller.stream(
      basePath + path,
      body,
      (b) => readOllamaStream(b, fromJson, { maxLineBytes }),
      o,
      (c) => c.done,
    );

  function init<D extends DescMessage>(schema: D, value: MessageInitShape<D>): MessageShape<D> {
    return create(schema, value);
  }

  return {
    transport: "http",
    baseUrl: origin + basePath,
    generate: (request, o) =>
      stream(
        "/api/generate",
        JSON.stringify(generateRequestToJson(init(GenerateRequestSchema, request))),
        generateResponseFromJson,
        o,
      ) as AsyncIterable<GenerateResponse>,
    chat: (request, o) =>
      stream(
        "/api/chat",
        JSON.stringify(chatRequestToJson(init(ChatRequestSchema, request))),
        chatResponseFromJson,
        o,
      ) as AsyncIterable<ChatResponse>,
    embed: (request, o): Promise<EmbedResponse> =>
      unary(
        "POST",
        "/api/embed",
        JSON.stringify(embedRequestToJson(init(EmbedRequestSchema, request))),
        embedResponseFromJson,
        o,
      ),
    list: (o): Promise<ListModelsResponse> => unary("GET", "/api/tags", undefined, listResponseFromJson, o),
    running: (o): Promise<ListRunningResponse> => unary("GET", "/api/ps", undefined, psResponseFromJson, o),
    show: (request, o): Promise<ShowModelResponse> =>
      unary(
        "POST",
        "/api/show",
        JSON.stringify(showRequestToJson(init(ShowModelRequestSchema, request))),
        showResponseFromJson,
        o,
      ),
    version: (o): Promise<VersionResponse> => unary("GET", "/api/version", undefined, versionResponseFromJson, o),
    stats: () => caller.stats("http"),
    close: () => caller.close(),
  };
}
