import { create, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import {
  type CallOptions,
  ChatRequestSchema,
  type ChatResponse,
  Code,
  EmbedRequestSchema,
  GenerateRequestSchema,
  type GenerateResponse,
  type InferenceClient,
  ModelwireError,
} from "@modelwire/core";
import { createHttpCaller, type HttpCallerOptions } from "../http-caller.js";
import {
  chatRequestToOpenAI,
  completionRequestToOpenAI,
  createChatStreamDecoder,
  createCompletionStreamDecoder,
  embeddingListFromOpenAI,
  embeddingsRequestToOpenAI,
  modelFromOpenAI,
  modelListFromOpenAI,
  type StreamDecoder,
} from "./client-json.js";
import { errorFromOpenAI } from "./errors.js";
import { readSseData } from "./sse-read.js";

/** Options of {@link createOpenAIClient}. */
export interface OpenAIClientOptions extends HttpCallerOptions {
  /**
   * The API's base URL including its version path, as the OpenAI SDKs take it: `http://127.0.0.1:11434/v1` for
   * Ollama or a modelwire gateway, `https://api.example.com/v1` for any OpenAI-compatible server.
   */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>` (the same as `authToken`). */
  apiKey?: string;
  /** Ask for the usage chunk (`stream_options.include_usage`), read as the final chunk's counts. Default true. */
  includeUsage?: boolean;
  /** Longest server-sent event accepted, in characters. Default 8 Mi. */
  maxEventChars?: number;
}

/** The OpenAI-API client: an {@link InferenceClient} plus its base URL. */
export interface OpenAIClient extends InferenceClient {
  readonly baseUrl: string;
}

/**
 * Creates an {@link InferenceClient} over the OpenAI API, usable against any OpenAI-compatible server (a modelwire
 * gateway, Ollama, vLLM, llama.cpp's server): `generate` streams `/v1/completions`, `chat` streams
 * `/v1/chat/completions`, `embed` is `/v1/embeddings`, `list` is `/v1/models`, `show` is `/v1/models/{model}` (it
 * tells only the modification time). `running` and `version` have no OpenAI equivalent and fail with
 * `Unimplemented`. Connections are an undici pool with keep-alive and the same retry rule as the Ollama client
 * (a call that failed before any response byte, with backoff and jitter, never past its deadline); streams are
 * parsed with `eventsource-parser`. Each stream ends with one `done` chunk whose `done_reason` is the
 * `finish_reason` and whose metrics hold the usage counts (no durations: the OpenAI API sends none). A stream that
 * ends before `[DONE]` fails with `Aborted`; an error event fails with its code.
 */
export function createOpenAIClient(options: OpenAIClientOptions): OpenAIClient {
  const url = parseBase(options.baseUrl);
  const basePath = url.pathname.replace(/\/+$/, "");
  const includeUsage = options.includeUsage ?? true;
  const maxEventChars = options.maxEventChars;
  const caller = createHttpCaller(
    url.origin,
    { ...options, authToken: options.apiKey ?? options.authToken },
    (body, status) => errorFromOpenAI(body, status),
  );

  /** One streamed call; the body is built inside the iteration, so a request it refuses fails the iterator. */
  async function* stream<T>(
    path: string,
    body: () => string,
    decoder: () => StreamDecoder<T>,
    o: CallOptions | undefined,
  ): AsyncGenerator<T> {
    const d = decoder();
    const events = caller.stream(
      basePath + path,
      body(),
      (b) => thenDone(readSseData(b, { maxEventChars })),
      o,
      (e) => e === DONE,
    );
    let index = 0;
    for await (const data of events) {
      // The final chunks are sent at [DONE], while the body is still being read: a consumer that stops at the done
      // chunk has finished, and the caller reads the body's end then (keeping the connection), not before.
      if (data === DONE) return yield* d.end();
      index++;
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch (e) {
        throw new ModelwireError(`stream event ${index} is not JSON: ${(e as Error).message}`, Code.Internal);
      }
      yield* d.push(json);
    }
    // readSseData ends at [DONE] (then DONE comes) or throws: a reply without it never looks complete.
    throw new ModelwireError("stream ended without data: [DONE]", Code.Aborted);
  }

  function init<D extends DescMessage>(schema: D, value: MessageInitShape<D>): MessageShape<D> {
    return create(schema, value);
  }
  const unimplemented = (what: string) =>
    Promise.reject(new ModelwireError(`${what} is not part of the OpenAI API`, Code.Unimplemented));

  return {
    transport: "openai",
    baseUrl: url.origin + basePath,
    generate: (request, o) =>
      stream(
        "/completions",
        () => JSON.stringify(completionRequestToOpenAI(init(GenerateRequestSchema, request), includeUsage)),
        createCompletionStreamDecoder,
        o,
      ) as AsyncIterable<GenerateResponse>,
    chat: (request, o) =>
      stream(
        "/chat/completions",
        () => JSON.stringify(chatRequestToOpenAI(init(ChatRequestSchema, request), includeUsage)),
        createChatStreamDecoder,
        o,
      ) as AsyncIterable<ChatResponse>,
    embed: async (request, o) =>
      caller.json(
        "POST",
        `${basePath}/embeddings`,
        JSON.stringify(embeddingsRequestToOpenAI(init(EmbedRequestSchema, request))),
        embeddingListFromOpenAI,
        o,
      ),
    list: (o) => caller.json("GET", `${basePath}/models`, undefined, modelListFromOpenAI, o),
    show: (request, o) =>
      caller.json(
        "GET",
        `${basePath}/models/${encodeURIComponent(request.model ?? "")}`,
        undefined,
        modelFromOpenAI,
        o,
      ),
    running: () => unimplemented("listing running models"),
    version: () => unimplemented("the server version"),
    stats: () => caller.stats("openai"),
    close: () => caller.close(),
  };
}

/** Stands for `data: [DONE]` among the events (readSseData returns there): the reply is complete. */
const DONE = Symbol("[DONE]");

async function* thenDone(events: AsyncIterable<string>): AsyncGenerator<string | typeof DONE> {
  yield* events;
  yield DONE;
}

function parseBase(base: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new ModelwireError(`baseUrl is not a URL: ${base}`, Code.InvalidArgument, { field: "baseUrl" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ModelwireError(`baseUrl must be http(s), got ${url.protocol}`, Code.InvalidArgument, {
      field: "baseUrl",
    });
  }
  return url;
}
