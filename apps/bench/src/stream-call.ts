import { createHash } from "node:crypto";
import {
  type CallOptions,
  type ChatRequestInit,
  Code,
  codeName,
  type GenerateRequestInit,
  type InferenceClient,
  type Metrics,
  ModelwireError,
} from "@modelwire/core";
import { createStreamVerifier, type VerifyReport } from "@modelwire/engine";
import {
  type ChunkArrival,
  computeStreamMetrics,
  nsToMs,
  type ServerReport,
  type StreamMetrics,
} from "./stream-metrics.js";

/** What every request to send may carry besides the request itself. */
interface WorkChecks {
  /** The exact content chunks the client must receive (the synthetic engine's), or undefined to skip. */
  expected?: readonly string[];
  /**
   * The cross-wire consistency key: requests with the same key must produce the same text on every wire (set
   * when the output is not the synthetic engine's and the request is reproducible: a seed and temperature 0).
   */
  key?: string;
}

/** One generate request to send (Ollama `/api/generate`, gRPC `Generate`, MCP generate). */
export interface GenerateWork extends WorkChecks {
  kind?: "generate";
  request: GenerateRequestInit;
}

/** One chat request to send (Ollama `/api/chat`, gRPC `Chat`, MCP chat). */
export interface ChatWork extends WorkChecks {
  kind: "chat";
  request: ChatRequestInit;
}

/** One message of a chat session's conversation. */
export interface ChatTurn {
  role: "user" | "assistant";
  content: string;
}

/** A chat session: several turns, each resending the conversation so far (see `session.ts`). */
export interface SessionWork {
  kind: "session";
  /** The user messages, one per turn. */
  turns: readonly string[];
  /** Pause between a reply's end and the next turn, ms. */
  thinkMs: number;
  /** The request of a turn, given the conversation so far (ending with the turn's user message). */
  request(messages: readonly ChatTurn[]): ChatRequestInit;
  /** The tokens the synthetic engine promises for a request, when verifying. */
  expected?: (request: ChatRequestInit) => readonly string[];
  /** The consistency key of a request, when checking consistency. */
  key?: (request: ChatRequestInit) => string;
}

/** One unit of load: a request, or a chat session of several requests. */
export type WorkItem = GenerateWork | ChatWork | SessionWork;
/** A single request (what {@link runStreamCall} sends). */
export type RequestWork = GenerateWork | ChatWork;

/** How one stream ended. */
export interface StreamOutcome {
  /** Sequence number in the run. */
  seq: number;
  /** Intended start (ms, `performance.now()` clock). */
  intendedStart: number;
  /** Figures from the timeline. */
  metrics: StreamMetrics;
  /** Code name: "ok", or the failure's code in snake_case, e.g. "resource_exhausted". */
  code: string;
  /** The failure's message when it failed. */
  error?: string;
  /** Token verification, when expectations were given. */
  verify?: VerifyReport;
  /** The server's durations and counts from the final chunk, when it sent them. */
  server?: ServerReport;
  /** The consistency key and a digest of the text received, when the item had a key and the stream succeeded. */
  consistency?: { key: string; digest: string; text: string };
  /** The text received (chat sessions resend it as the assistant's message). */
  text?: string;
}

function serverReport(m: Metrics | undefined): ServerReport | undefined {
  if (!m) return undefined;
  return {
    totalMs: nsToMs(m.totalDuration),
    loadMs: nsToMs(m.loadDuration),
    promptEvalMs: nsToMs(m.promptEvalDuration),
    evalMs: nsToMs(m.evalDuration),
    evalCount: m.evalCount,
    promptEvalCount: m.promptEvalCount,
  };
}

interface Piece {
  text: string;
  done: boolean;
  metrics?: Metrics;
}

async function* pieces(client: InferenceClient, item: RequestWork, options?: CallOptions): AsyncIterable<Piece> {
  if (item.kind === "chat") {
    for await (const c of client.chat(item.request, options))
      yield { text: c.message?.content ?? "", done: c.done, metrics: c.metrics };
  } else {
    for await (const c of client.generate(item.request, options))
      yield { text: c.response, done: c.done, metrics: c.metrics };
  }
}

/** The digest the consistency check compares (SHA-256 of the UTF-8 text, hex, first 32 characters). */
export function textDigest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}

/**
 * Runs one streaming generate or chat call, timestamping every chunk, verifying every token and keeping the
 * server's own durations. Never throws: a failure becomes an outcome with its code.
 */
export async function runStreamCall(
  client: InferenceClient,
  item: RequestWork,
  intendedStart: number,
  seq: number,
  options?: CallOptions,
  keepText = false,
): Promise<StreamOutcome> {
  const chunks: ChunkArrival[] = [];
  const verifier = item.expected ? createStreamVerifier(item.expected) : undefined;
  const collect = keepText || item.key !== undefined;
  const parts: string[] = [];
  const sentAt = performance.now();
  let code = "ok";
  let error: string | undefined;
  let sawDone = false;
  let server: ServerReport | undefined;
  try {
    for await (const chunk of pieces(client, item, options)) {
      const t = performance.now();
      const text = chunk.text;
      chunks.push({ t, text });
      if (text.length > 0) {
        verifier?.push(text);
        if (collect) parts.push(text);
      }
      if (chunk.done) {
        sawDone = true;
        server = serverReport(chunk.metrics);
      }
    }
    if (!sawDone) {
      code = codeName(Code.DataLoss);
      error = "stream ended without a final done chunk";
    }
  } catch (e) {
    const err = ModelwireError.from(e);
    code = codeName(err.code);
    error = err.message;
  }
  const end = performance.now();
  const metrics = computeStreamMetrics({ intendedStart, sentAt, chunks, end, server });
  const outcome: StreamOutcome = { seq, intendedStart, metrics, code };
  if (error !== undefined) outcome.error = error;
  if (verifier) outcome.verify = verifier.report();
  if (server) outcome.server = server;
  if (collect) {
    const text = parts.join("");
    if (keepText) outcome.text = text;
    if (item.key !== undefined && code === "ok")
      outcome.consistency = { key: item.key, digest: textDigest(text), text };
  }
  return outcome;
}
