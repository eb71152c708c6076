/**
 * The handlers of the OpenAI-compatible routes: each maps the OpenAI body onto the contract, calls the engine (or
 * the upstream's own OpenAI API through the forwarder) and writes OpenAI's reply shapes, streams as Server-Sent
 * Events. Loaded by ./routes.ts on the first `/v1/` call, not at start-up: a gateway that is never asked for the
 * OpenAI API does not load the request readers, reply encoders and SSE framing.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { create } from "@bufbuild/protobuf";
import { type ChatResponse, type GenerateResponse, ShowModelRequestSchema } from "@modelwire/core";
import type { Engine } from "@modelwire/engine";
import { joinChat, joinGenerate, type StreamFraming, sendStream } from "../ollama-stream.js";
import type { CallContext, CallHandler } from "../route-table.js";
import { sendJson } from "../server-response.js";
import { openaiErrorBody } from "./errors.js";
import {
  chatCompletionToJson,
  completionToJson,
  createChatChunkEncoder,
  createCompletionChunkEncoder,
  embeddingListToJson,
  modelListToJson,
  modelToJson,
  newReplyId,
} from "./reply.js";
import { chatCompletionRequestFromJson, completionRequestFromJson, embeddingsRequestFromJson } from "./request.js";
import type { OpenAIForwarder } from "./routes.js";
import { SSE_DONE, SSE_HEADERS, sseData, sseEvents } from "./sse.js";

/**
 * OpenAI's stream framing: each engine chunk becomes zero or more `data: {json}` events, a complete stream ends
 * with `data: [DONE]`, and a failure after the reply began is a last `data: {"error": ...}` event without
 * `[DONE]`, so the stream never looks complete (the openai clients throw it).
 */
export function sseFraming<T>(encode: (chunk: T) => string[]): StreamFraming<T> {
  return {
    headers: SSE_HEADERS,
    encode: (chunk) => sseEvents(encode(chunk)),
    end: SSE_DONE,
    error: (err) => sseData(JSON.stringify(openaiErrorBody(err))),
  };
}

const chatIsContent = (c: ChatResponse) =>
  !c.done && ((c.message?.content.length ?? 0) > 0 || (c.message?.thinking.length ?? 0) > 0);
const generateIsContent = (c: GenerateResponse) => !c.done && (c.response.length > 0 || c.thinking.length > 0);

/** The five route handlers, by route. */
export interface OpenAIHandlers {
  chat: CallHandler;
  completions: CallHandler;
  embeddings: CallHandler;
  models: CallHandler;
  model: CallHandler;
}

/** The handlers over `engine`; with a `forwarder` whose upstream serves the OpenAI API, calls are relayed there. */
export function createOpenAIHandlers(engine: Engine, forwarder?: OpenAIForwarder): OpenAIHandlers {
  return { chat, completions, embeddings, models, model };

  /** Forwards the call when the upstream serves the OpenAI API; true when it did. */
  async function forwarded(path: string, res: ServerResponse, call: CallContext, body: unknown): Promise<boolean> {
    if (!forwarder || !(await forwarder.available())) return false;
    await forwarder.forward(path, res, call, body);
    return true;
  }

  async function models(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    if (await forwarded("/v1/models", res, call, undefined)) return;
    sendJson(res, 200, modelListToJson(await engine.list(call.ctx)));
  }

  async function chat(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const body = await call.json();
    if (await forwarded("/v1/chat/completions", res, call, body)) return;
    const { request, stream, includeUsage } = chatCompletionRequestFromJson(body);
    const id = newReplyId("chatcmpl-");
    const encoder = createChatChunkEncoder(id, includeUsage);
    await sendStream(res, call, stream, engine.chat(request, call.ctx), {
      toJson: (joined) => chatCompletionToJson(id, joined),
      join: joinChat,
      isContent: chatIsContent,
      framing: sseFraming((c) => encoder.encode(c)),
    });
  }

  async function completions(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const body = await call.json();
    if (await forwarded("/v1/completions", res, call, body)) return;
    const { request, stream, includeUsage } = completionRequestFromJson(body);
    const id = newReplyId("cmpl-");
    const encoder = createCompletionChunkEncoder(id, includeUsage);
    await sendStream(res, call, stream, engine.generate(request, call.ctx), {
      toJson: (joined) => completionToJson(id, joined),
      join: joinGenerate,
      isContent: generateIsContent,
      framing: sseFraming((c) => encoder.encode(c)),
    });
  }

  async function embeddings(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const body = await call.json();
    if (await forwarded("/v1/embeddings", res, call, body)) return;
    const { request, base64 } = embeddingsRequestFromJson(body);
    const reply = await engine.embed(request, call.ctx);
    sendJson(res, 200, embeddingListToJson(request.model, reply, base64));
  }

  async function model(_req: IncomingMessage, res: ServerResponse, call: CallContext) {
    const id = call.params.model;
    if (await forwarded(`/v1/models/${encodeURIComponent(id)}`, res, call, undefined)) return;
    const show = await engine.show(create(ShowModelRequestSchema, { model: id }), call.ctx);
    sendJson(res, 200, modelToJson(id, show));
  }
}
