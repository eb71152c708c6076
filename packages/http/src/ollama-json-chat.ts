/**
 * `/api/chat`'s request and chunks (messages, tool calls, tools), Ollama's JSON to and from the contract's messages.
 */

import { create } from "@bufbuild/protobuf";
import {
  type ChatRequest,
  ChatRequestSchema,
  type ChatResponse,
  ChatResponseSchema,
  type Message,
  type Tool,
  type ToolCall,
} from "@modelwire/core";
import { keepAliveToJson } from "./go-duration.js";
import {
  asRecord,
  decodeBase64,
  encodeBase64,
  path,
  readArray,
  readBool,
  readInt32,
  readOptionalBool,
  readOptionalRecord,
  readString,
} from "./json-read.js";
import { type ChunkKind, chunkToJson } from "./ollama-json-chunk.js";
import {
  body,
  cacheHitFromJson,
  formatFromJson,
  formatToJson,
  jsonObject,
  keepAlive,
  metricsFromJson,
  reply,
  thinkFromJson,
  thinkToJson,
  timestamp,
} from "./ollama-json-common.js";
import type {
  OllamaChatRequestJson,
  OllamaChatResponseJson,
  OllamaMessageJson,
  OllamaToolCallJson,
  OllamaToolJson,
} from "./ollama-json-types.js";
import { optionsFromJson, optionsToJson } from "./ollama-options.js";

function toolCallFromJson(v: unknown, field: string) {
  const o = asRecord(v, field);
  const f = readOptionalRecord(o, "function", field) ?? {};
  const fp = path(field, "function");
  return {
    function: {
      index: readInt32(f, "index", fp),
      name: readString(f, "name", fp),
      arguments: jsonObject(f, "arguments", fp) ?? {},
    },
  };
}

function messageFromJson(v: unknown, field: string) {
  const o = asRecord(v, field);
  return {
    role: readString(o, "role", field),
    content: readString(o, "content", field),
    thinking: readString(o, "thinking", field),
    images: readArray(o, "images", field, decodeBase64),
    toolCalls: readArray(o, "tool_calls", field, toolCallFromJson),
    toolName: readString(o, "tool_name", field),
  };
}

function toolCallToJson(c: ToolCall): OllamaToolCallJson {
  return {
    function: { index: c.function?.index ?? 0, name: c.function?.name ?? "", arguments: c.function?.arguments ?? {} },
  };
}

function messageToJson(m: Message): OllamaMessageJson {
  const out: OllamaMessageJson = { role: m.role, content: m.content };
  if (m.thinking) out.thinking = m.thinking;
  if (m.images.length > 0) out.images = m.images.map(encodeBase64);
  if (m.toolCalls.length > 0) out.tool_calls = m.toolCalls.map(toolCallToJson);
  if (m.toolName) out.tool_name = m.toolName;
  return out;
}

function toolFromJson(v: unknown, field: string) {
  const o = asRecord(v, field);
  const f = readOptionalRecord(o, "function", field) ?? {};
  const fp = path(field, "function");
  return {
    type: readString(o, "type", field),
    function: {
      name: readString(f, "name", fp),
      description: readString(f, "description", fp),
      parameters: jsonObject(f, "parameters", fp),
    },
  };
}

function toolToJson(t: Tool): OllamaToolJson {
  const fn: OllamaToolJson["function"] = { name: t.function?.name ?? "" };
  if (t.function?.description) fn.description = t.function.description;
  if (t.function?.parameters) fn.parameters = t.function.parameters;
  return { type: t.type, function: fn };
}

/** Reads a `POST /api/chat` body. */
export function chatRequestFromJson(obj: unknown): ChatRequest {
  const o = body(obj);
  return create(ChatRequestSchema, {
    model: readString(o, "model"),
    messages: readArray(o, "messages", "", messageFromJson),
    stream: readOptionalBool(o, "stream"),
    format: formatFromJson(o.format),
    keepAlive: keepAlive(o),
    tools: readArray(o, "tools", "", toolFromJson),
    options: optionsFromJson(o.options),
    think: thinkFromJson(o.think),
  });
}

/** Writes a chat request as Ollama's JSON body. */
export function chatRequestToJson(msg: ChatRequest): OllamaChatRequestJson {
  const out: OllamaChatRequestJson = { model: msg.model, messages: msg.messages.map(messageToJson) };
  if (msg.stream !== undefined) out.stream = msg.stream;
  const format = formatToJson(msg.format);
  if (format !== undefined) out.format = format;
  if (msg.keepAlive) out.keep_alive = keepAliveToJson(msg.keepAlive);
  if (msg.tools.length > 0) out.tools = msg.tools.map(toolToJson);
  if (msg.options) out.options = optionsToJson(msg.options);
  const think = thinkToJson(msg.think);
  if (think !== undefined) out.think = think;
  return out;
}

/** A chat chunk: `message` always (an empty assistant message when the chunk has none). */
const CHAT_CHUNK: ChunkKind<ChatResponse, OllamaChatResponseJson> = {
  head: (msg) => ({
    model: msg.model,
    message: msg.message ? messageToJson(msg.message) : { role: "assistant", content: "" },
    done: msg.done,
  }),
};

/** Writes one chat chunk as Ollama does. A chunk without a message gets an empty assistant message. */
export function chatResponseToJson(msg: ChatResponse): OllamaChatResponseJson {
  return chunkToJson(CHAT_CHUNK, msg);
}

/** Reads one chat chunk of Ollama's reply. */
export function chatResponseFromJson(obj: unknown): ChatResponse {
  const o = reply(obj, "chat response");
  const m = o.message;
  return create(ChatResponseSchema, {
    model: readString(o, "model"),
    createdAt: timestamp(o, "created_at"),
    message: m === undefined || m === null ? undefined : messageFromJson(m, "message"),
    done: readBool(o, "done"),
    doneReason: readString(o, "done_reason"),
    metrics: metricsFromJson(o),
    cacheHit: cacheHitFromJson(o),
  });
}
