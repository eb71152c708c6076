/**
 * The chat history and tools of an OpenAI chat completion request read into the contract, as Ollama's `/v1` maps
 * them (ollama/ollama `openai/openai.go`): messages and their content parts (text, base64 data-URL images), the
 * assistant's tool calls and the tool replies that name them, and the `tools` list. Pure: no I/O; bad input throws
 * `InvalidArgument` naming the OpenAI field (`messages[1].content[0].image_url`). Used by ./request.ts.
 *
 * @module
 */

import type { MessageInitShape } from "@bufbuild/protobuf";
import { invalidArgument, type MessageSchema, type ToolSchema } from "@modelwire/core";
import { asRecord, decodeBase64, isRecord, jsonTypeName, path, readOptionalRecord, readString } from "../json-read.js";

type MessageInit = MessageInitShape<typeof MessageSchema>;
type ToolInit = MessageInitShape<typeof ToolSchema>;

const IMAGE_PREFIXES = ["data:;base64,", ...["jpeg", "jpg", "png", "webp"].map((t) => `data:image/${t};base64,`)];

/** An `image_url` part: only base64 data URLs (Ollama fetches no remote image). */
function imageFromUrl(v: unknown, field: string): Uint8Array {
  const url = isRecord(v) ? v.url : v;
  const urlField = isRecord(v) ? path(field, "url") : field;
  if (typeof url !== "string")
    throw invalidArgument(urlField, `${urlField} must be a string, got ${jsonTypeName(url)}`);
  if (/^https?:\/\//i.test(url)) {
    throw invalidArgument(urlField, `${urlField}: image URLs are not supported; send the image as a base64 data URL`);
  }
  const prefix = IMAGE_PREFIXES.find((p) => url.startsWith(p));
  if (!prefix) {
    throw invalidArgument(
      urlField,
      `${urlField}: invalid image input, expected a data:image/(png|jpeg|webp);base64, URL`,
    );
  }
  return decodeBase64(url.slice(prefix.length), urlField);
}

/** A tool call of an assistant message in the history; `arguments` is JSON text (an object, or "" for none). */
function toolCallFromJson(v: unknown, field: string, index: number) {
  const o = asRecord(v, field);
  const fp = path(field, "function");
  const f = asRecord(o.function, fp);
  const name = readString(f, "name", fp);
  const raw = f.arguments;
  let args: unknown = {};
  if (typeof raw === "string") {
    if (raw.trim() !== "") {
      try {
        args = JSON.parse(raw);
      } catch {
        throw invalidArgument(
          path(fp, "arguments"),
          `${path(fp, "arguments")}: invalid tool call arguments (not JSON)`,
        );
      }
    }
  } else if (raw !== undefined && raw !== null) {
    args = raw;
  }
  if (!isRecord(args)) {
    throw invalidArgument(
      path(fp, "arguments"),
      `${path(fp, "arguments")} must be a JSON object, got ${jsonTypeName(args)}`,
    );
  }
  return { id: readString(o, "id", field), function: { index, name, arguments: args as never } };
}

/** The name of the tool whose call had this id, searching the history backwards (the last one wins). */
function toolNameOf(messages: readonly unknown[], before: number, id: string): string {
  for (let i = before - 1; i >= 0; i--) {
    const m = messages[i];
    if (!isRecord(m) || !Array.isArray(m.tool_calls)) continue;
    for (const c of m.tool_calls) {
      if (isRecord(c) && c.id === id && isRecord(c.function) && typeof c.function.name === "string") {
        return c.function.name;
      }
    }
  }
  return "";
}

/**
 * One OpenAI message as one or more contract messages. A string content is one message; an array of parts is one
 * message per part, as Ollama splits them (text parts carry text, image parts carry the image), with the message's
 * tool calls on the last one.
 */
export function messagesFromJson(all: readonly unknown[], i: number): MessageInit[] {
  const field = `messages[${i}]`;
  const o = asRecord(all[i], field);
  const role = readString(o, "role", field);
  if (role === "") throw invalidArgument(path(field, "role"), `${path(field, "role")} is required`);
  const thinking = readString(o, "reasoning", field);
  const rawCalls = o.tool_calls;
  if (rawCalls !== undefined && rawCalls !== null && !Array.isArray(rawCalls)) {
    throw invalidArgument(path(field, "tool_calls"), `${path(field, "tool_calls")} must be an array`);
  }
  const toolCalls = (rawCalls ?? []).map((c: unknown, j: number) =>
    toolCallFromJson(c, path(path(field, "tool_calls"), j), j),
  );
  let toolName = "";
  if (role.toLowerCase() === "tool") {
    toolName = readString(o, "name", field);
    const callId = readString(o, "tool_call_id", field);
    if (toolName === "" && callId !== "") toolName = toolNameOf(all, i, callId);
  }
  const content = o.content;
  if (typeof content === "string") {
    return [{ role, content, thinking, toolCalls: toolCalls.map((c) => ({ function: c.function })), toolName }];
  }
  if (content === undefined || content === null) {
    if (toolCalls.length === 0) {
      throw invalidArgument(
        path(field, "content"),
        `${path(field, "content")} is required unless the message has tool_calls`,
      );
    }
    return [{ role, thinking, toolCalls: toolCalls.map((c) => ({ function: c.function })), toolName }];
  }
  if (!Array.isArray(content)) {
    throw invalidArgument(
      path(field, "content"),
      `${path(field, "content")} must be a string or an array of content parts, got ${jsonTypeName(content)}`,
    );
  }
  const out: MessageInit[] = content.map((part: unknown, j: number): MessageInit => {
    const pf = path(path(field, "content"), j);
    const p = asRecord(part, pf);
    if (p.type === "text") {
      if (typeof p.text !== "string") throw invalidArgument(path(pf, "text"), `${path(pf, "text")} must be a string`);
      return { role, content: p.text, toolName };
    }
    if (p.type === "image_url") return { role, images: [imageFromUrl(p.image_url, path(pf, "image_url"))], toolName };
    throw invalidArgument(
      path(pf, "type"),
      `${path(pf, "type")}: unsupported content part type ${JSON.stringify(p.type ?? null)} (supported: "text", "image_url")`,
    );
  });
  if (out.length > 0 && toolCalls.length > 0) {
    const last = out[out.length - 1];
    last.toolCalls = toolCalls.map((c) => ({ function: c.function }));
    last.thinking = thinking;
  }
  return out;
}

/** `tools`: function tools only, each with a required name. */
export function toolsFromJson(v: unknown): ToolInit[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidArgument("tools", `tools must be an array, got ${jsonTypeName(v)}`);
  return v.map((t, i) => {
    const field = `tools[${i}]`;
    const o = asRecord(t, field);
    const type = readString(o, "type", field) || "function";
    if (type !== "function") {
      throw invalidArgument(
        path(field, "type"),
        `${path(field, "type")}: only "function" tools are supported, got ${JSON.stringify(type)}`,
      );
    }
    const fp = path(field, "function");
    const f = asRecord(o.function, fp);
    const name = readString(f, "name", fp);
    if (name === "") throw invalidArgument(path(fp, "name"), `${path(fp, "name")} is required`);
    return {
      type,
      function: {
        name,
        description: readString(f, "description", fp),
        parameters: readOptionalRecord(f, "parameters", fp) as never,
      },
    };
  });
}
