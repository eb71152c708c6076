/**
 * What the synthetic engine will stream for a request under a configuration, as a {@link ReplyPlan}: the token
 * count (`num_predict` or the default), thinking, stops and `format`; the load/unload plan of an empty request.
 * Pure: a verifying client computes the same plan the engine streams.
 *
 * @module
 */

import type { Duration } from "@bufbuild/protobuf/wkt";
import type { ChatRequest, GenerateRequest, Options, Think } from "@modelwire/core";
import { parseFormat } from "./format.js";
import { findModel, type SyntheticModel } from "./models.js";
import { contentOf, drain, type ReplyPlan, stopsOf } from "./plan.js";
import { type ReplySpec, replySpec } from "./reply-source.js";
import { chatPromptText, generatePromptText } from "./script.js";
import type { SyntheticEngineConfig } from "./synthetic-config.js";

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

/** Whether a reply thinks first: a thinking model thinks unless the request says `think: false`, as Ollama's do. */
function thinks(model: SyntheticModel | undefined, think: Think | undefined): boolean {
  if (!model?.thinking) return false;
  return !(think?.value.case === "enabled" && !think.value.value);
}

function specFor(
  request: GenerateRequest | ChatRequest,
  prompt: string,
  empty: boolean,
  config: SyntheticEngineConfig,
): ReplySpec {
  if (empty) return { kind: keepAliveZero(request.keepAlive) ? "unload" : "load" };
  const model = findModel(config.models, request.model);
  const { count, limited } = plannedTokenCount(request.options, config);
  return replySpec(
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

/**
 * What a generate request streams under `config`, before any of it is produced (see `ReplySource`). An empty prompt
 * only loads (or unloads) the model.
 */
export function specGenerate(request: GenerateRequest, config: SyntheticEngineConfig): ReplySpec {
  return specFor(request, generatePromptText(request), request.prompt === "", config);
}

/** What a chat request streams under `config`, before any of it is produced. No messages only loads the model. */
export function specChat(request: ChatRequest, config: SyntheticEngineConfig): ReplySpec {
  return specFor(request, chatPromptText(request), request.messages.length === 0, config);
}

/** What a generate request streams under `config`, all of it (pure). */
export function planGenerate(request: GenerateRequest, config: SyntheticEngineConfig): ReplyPlan {
  return drain(specGenerate(request, config));
}

/** What a chat request streams under `config`, all of it (pure). */
export function planChat(request: ChatRequest, config: SyntheticEngineConfig): ReplyPlan {
  return drain(specChat(request, config));
}

/** The content chunks a generate request produces under `config` (pure; what a verifying client compares against). */
export function expectedGenerateTokens(request: GenerateRequest, config: SyntheticEngineConfig): string[] {
  return contentOf(planGenerate(request, config));
}

/** The content chunks a chat request produces under `config`. */
export function expectedChatTokens(request: ChatRequest, config: SyntheticEngineConfig): string[] {
  return contentOf(planChat(request, config));
}
