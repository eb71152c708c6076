import { create } from "@bufbuild/protobuf";
import { createConnectClient } from "@modelwire/connect";
import {
  type CallOptions,
  type ChatRequestInit,
  ChatRequestSchema,
  type GenerateRequestInit,
  GenerateRequestSchema,
  type InferenceClient,
} from "@modelwire/core";
import { createStreamVerifier, createSyntheticEngine, type SyntheticEngineOptions } from "@modelwire/engine";
import { createOllamaClient } from "@modelwire/http";
import { createMcpClient } from "@modelwire/mcp";

/** The three client families the gateway is driven with. */
export type ClientKind = "http" | "connect" | "mcp";

/** Every family the tests drive the gateway with. */
export const CLIENT_KINDS: ClientKind[] = ["http", "connect", "mcp"];

/** The ready-line protocol each client family connects to. */
export const ADDRESS_OF: Record<ClientKind, string> = { http: "http", connect: "connect", mcp: "mcp-tcp" };

/** A client of one family for a gateway address; retries off so refusals are seen as they are. */
export function makeClient(kind: ClientKind, url: string, authToken?: string): InferenceClient {
  switch (kind) {
    case "http":
      return createOllamaClient({ host: url, authToken, retries: 0 });
    case "connect":
      return createConnectClient({ baseUrl: url, protocol: "grpc", retry: false, authToken });
    case "mcp":
      return createMcpClient({ url, authToken, reconnect: false });
    default:
      throw new Error(`no ${kind} client yet`);
  }
}

/** What one stream delivered. */
export interface StreamResult {
  tokens: string[];
  done: boolean;
  doneReason: string;
  /** Content chunks verified against the synthetic engine's promise. */
  intact: boolean;
}

/** The tokens a gateway's synthetic engine promises for a generate request (same knobs, computed locally). */
export function expectedGenerate(knobs: SyntheticEngineOptions, request: GenerateRequestInit): string[] {
  return createSyntheticEngine(knobs).expectedGenerate(create(GenerateRequestSchema, request));
}

/** The tokens promised for a chat request. */
export function expectedChat(knobs: SyntheticEngineOptions, request: ChatRequestInit): string[] {
  return createSyntheticEngine(knobs).expectedChat(create(ChatRequestSchema, request));
}

/** Runs a generate stream to the end and checks it against `expected`. */
export async function runGenerate(
  client: InferenceClient,
  request: GenerateRequestInit,
  expected: string[],
  options?: CallOptions & { onFirst?: () => void },
): Promise<StreamResult> {
  const verifier = createStreamVerifier(expected);
  const tokens: string[] = [];
  let done = false;
  let doneReason = "";
  let first = true;
  for await (const chunk of client.generate(request, options)) {
    if (chunk.response.length > 0) {
      if (first) options?.onFirst?.();
      first = false;
      tokens.push(chunk.response);
      verifier.push(chunk.response);
    }
    if (chunk.done) {
      done = true;
      doneReason = chunk.doneReason;
    }
  }
  return { tokens, done, doneReason, intact: done && verifier.report().ok };
}

/** Runs a chat stream to the end and checks it against `expected`. */
export async function runChat(
  client: InferenceClient,
  request: ChatRequestInit,
  expected: string[],
): Promise<StreamResult> {
  const verifier = createStreamVerifier(expected);
  const tokens: string[] = [];
  let done = false;
  let doneReason = "";
  for await (const chunk of client.chat(request)) {
    const text = chunk.message?.content ?? "";
    if (text.length > 0) {
      tokens.push(text);
      verifier.push(text);
    }
    if (chunk.done) {
      done = true;
      doneReason = chunk.doneReason;
    }
  }
  return { tokens, done, doneReason, intact: done && verifier.report().ok };
}

/** Runs `fn` and returns the ModelwireError it fails with (the test kit's check). */
export { failure as failureOf } from "@modelwire/test-kit";
