import {
  type CallOptions,
  Code,
  codeName,
  type GenerateRequestInit,
  type InferenceClient,
  ModelwireError,
} from "@modelwire/core";
import { createStreamVerifier, type VerifyReport } from "@modelwire/engine";
import { type ChunkArrival, computeStreamMetrics, type StreamMetrics } from "./stream-metrics.js";

/** One request to send: the generate request and the tokens the synthetic engine promises for it. */
export interface WorkItem {
  /** The request. */
  request: GenerateRequestInit;
  /** The exact tokens the client must receive, or undefined to skip verification (e.g. a real upstream). */
  expected?: readonly string[];
}

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
}

/**
 * Runs one streaming generate call, timestamping every chunk and verifying every token. Never throws: a failure
 * becomes an outcome with its code.
 */
export async function runStreamCall(
  client: InferenceClient,
  item: WorkItem,
  intendedStart: number,
  seq: number,
  options?: CallOptions,
): Promise<StreamOutcome> {
  const chunks: ChunkArrival[] = [];
  const verifier = item.expected ? createStreamVerifier(item.expected) : undefined;
  const sentAt = performance.now();
  let code = "ok";
  let error: string | undefined;
  let sawDone = false;
  try {
    for await (const chunk of client.generate(item.request, options)) {
      const t = performance.now();
      const text = chunk.response;
      chunks.push({ t, text });
      if (verifier && text.length > 0) verifier.push(text);
      if (chunk.done) sawDone = true;
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
  const metrics = computeStreamMetrics({ intendedStart, sentAt, chunks, end });
  const outcome: StreamOutcome = { seq, intendedStart, metrics, code };
  if (error !== undefined) outcome.error = error;
  if (verifier) outcome.verify = verifier.report();
  return outcome;
}
