/**
 * Which requests the response cache may answer, and the key it files them under. Pure: no I/O.
 *
 * A request is cacheable when its output is deterministic — `options.temperature` is 0 and `options.seed` is set —
 * or when the caller opts in with the request metadata entry `x-modelwire-cache: on` (an HTTP header, gRPC/Connect
 * metadata, an MCP OPEN metadata entry). `x-modelwire-cache: off` keeps any request out of the cache. Load and
 * unload calls (an empty prompt, `messages: []`, `keep_alive: 0`) are never cached.
 *
 * The key is the SHA-256 of the canonical request: every field that can change the reply (model, prompt or
 * messages, suffix, images, system, template, context, raw, format, options, think, tools), as Protobuf JSON
 * with object keys sorted, without `stream` (it only changes framing) and `keep_alive` (residency only), plus the
 * engine namespace (the synthetic engine's seed and token count, or "upstream") so gateways whose engines would
 * answer differently never share an entry.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type JsonValue, toJson } from "@bufbuild/protobuf";
import {
  type ChatRequest,
  ChatRequestSchema,
  Code,
  type GenerateRequest,
  GenerateRequestSchema,
  ModelwireError,
} from "@modelwire/core";
import type { EngineContext } from "@modelwire/engine";
import type { ReplyKind } from "./stored-reply.js";

/** The request metadata key of the per-request switch. */
export const CACHE_METADATA_KEY = "x-modelwire-cache";

/** Why a request is not looked up. */
export type SkipReason = "not_deterministic" | "opted_out" | "load_or_unload";

/** What the cache does with one request. */
export type CacheDecision =
  | { cacheable: true; key: string; model: string }
  | { cacheable: false; reason: SkipReason; model: string; unload: boolean };

/**
 * Ollama's model name as one identity: lower-case (Ollama matches names case-insensitively) with the default
 * `:latest` tag when none is given, so `Llama3` and `llama3:latest` share entries and are dropped together.
 */
export function modelIdentity(model: string): string {
  const m = model.trim().toLowerCase();
  const slash = m.lastIndexOf("/");
  return m.indexOf(":", slash + 1) === -1 ? `${m}:latest` : m;
}

/** The prefix of every key of `model` in `namespace` (how a model's entries are dropped). */
export function modelPrefix(namespace: string, model: string): string {
  return `${namespace}|${Buffer.from(modelIdentity(model)).toString("base64url")}|`;
}

function isZeroDuration(d: { seconds: bigint; nanos: number } | undefined): boolean {
  return d !== undefined && d.seconds === 0n && d.nanos === 0;
}

/** Reads the per-request switch; anything but `on`/`off` is a clear `InvalidArgument` naming the key. */
function optIn(ctx: EngineContext): boolean | undefined {
  const v = ctx.requestMetadata?.(CACHE_METADATA_KEY);
  if (v === undefined || v === "") return undefined;
  const t = v.trim().toLowerCase();
  if (t === "on") return true;
  if (t === "off") return false;
  throw new ModelwireError(
    `${CACHE_METADATA_KEY} must be "on" or "off", got "${v.slice(0, 40)}"`,
    Code.InvalidArgument,
    {
      field: CACHE_METADATA_KEY,
    },
  );
}

/** Decides how the cache treats a generate or chat request; throws `InvalidArgument` for a bad switch value. */
export function decide(
  kind: ReplyKind,
  request: GenerateRequest | ChatRequest,
  ctx: EngineContext,
  namespace: string,
): CacheDecision {
  const model = request.model;
  const unload = isZeroDuration(request.keepAlive);
  const loadOnly =
    kind === "generate"
      ? (request as GenerateRequest).prompt === "" &&
        (request as GenerateRequest).images.length === 0 &&
        (request as GenerateRequest).suffix === ""
      : (request as ChatRequest).messages.length === 0;
  const choice = optIn(ctx);
  if (unload || loadOnly) return { cacheable: false, reason: "load_or_unload", model, unload };
  if (choice === false) return { cacheable: false, reason: "opted_out", model, unload };
  const o = request.options;
  const deterministic = o !== undefined && o.temperature === 0 && o.seed !== undefined;
  if (!deterministic && choice !== true) return { cacheable: false, reason: "not_deterministic", model, unload };
  return { cacheable: true, key: cacheKey(kind, request, namespace), model };
}

/** The cache key of a cacheable request (see the module comment). */
export function cacheKey(kind: ReplyKind, request: GenerateRequest | ChatRequest, namespace: string): string {
  const json = (
    kind === "generate"
      ? toJson(GenerateRequestSchema, request as GenerateRequest)
      : toJson(ChatRequestSchema, request as ChatRequest)
  ) as Record<string, JsonValue>;
  delete json.stream;
  delete json.keepAlive;
  // A JSON schema's text may order its keys either way; its meaning is the parsed document.
  if (typeof json.format === "string") json.format = parsedFormat(json.format);
  json.model = modelIdentity(request.model);
  const digest = createHash("sha256").update(kind).update("\0").update(canonical(json)).digest("base64url");
  return `${modelPrefix(namespace, request.model)}${digest}`;
}

function parsedFormat(text: string): JsonValue {
  try {
    return { parsed: JSON.parse(text) as JsonValue };
  } catch {
    return text;
  }
}

/** JSON text with every object's keys sorted, so equal requests give equal text whatever their key order. */
export function canonical(v: JsonValue): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, JsonValue>)[k])}`).join(",")}}`;
}
