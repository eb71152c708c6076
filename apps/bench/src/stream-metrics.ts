/** One received chunk of a stream: its arrival time (ms, `performance.now()` clock) and its content text. */
export interface ChunkArrival {
  /** Arrival time in milliseconds. */
  t: number;
  /** The chunk's content text ("" for the final chunk or an empty keep-alive chunk). */
  text: string;
}

/**
 * What the server said it spent, from the final chunk (Ollama's `total_duration`, `load_duration`,
 * `prompt_eval_duration`, `eval_duration`, `eval_count`; the gRPC and MCP replies carry the same as metrics), in
 * milliseconds. A wire that reports no durations (OpenAI's API) leaves the durations 0.
 */
export interface ServerReport {
  totalMs: number;
  loadMs: number;
  promptEvalMs: number;
  evalMs: number;
  /** Generated tokens as the server counts them (0 when not reported). */
  evalCount: number;
  /** Prompt tokens as the server counts them (0 when not reported). */
  promptEvalCount: number;
}

/** What one stream looked like on the wire, on the generator's clock. */
export interface StreamTimeline {
  /** When the request was meant to be sent (open loop: the schedule; closed loop: when it was sent). */
  intendedStart: number;
  /** When it was actually sent (≥ intendedStart when the generator fell behind). */
  sentAt: number;
  /** Every chunk received, in order, including the final one. */
  chunks: readonly ChunkArrival[];
  /** When the stream ended (the last chunk, or the error). */
  end: number;
  /** The server's own account of the request, when the final chunk carried one. */
  server?: ServerReport;
}

/** The LLM-stream figures of one stream, in milliseconds. */
export interface StreamMetrics {
  /**
   * Generated tokens: the server's `eval_count` when it reported one, else the content chunks. One chunk can carry
   * several tokens, so per-token figures computed from chunks would be wrong.
   */
  tokens: number;
  /** Content chunks (non-empty) received. */
  chunks: number;
  /** Time to first token: first non-empty content chunk − intended start; undefined with no content. */
  ttftMs: number | undefined;
  /** End-to-end latency: last chunk (or the end) − intended start. */
  e2eMs: number;
  /** Gaps between consecutive content chunks (inter-chunk latency, vLLM's ITL). */
  gapsMs: number[];
  /** Per-token decode time: (E2E − TTFT) / (tokens − 1); undefined with fewer than 2 tokens (vLLM's TPOT). */
  perTokenMs: number | undefined;
  /** Longest silence in the stream: max of TTFT and every gap (including the one to the final chunk). */
  longestStallMs: number;
  /** Send lag: sentAt − intendedStart (time the generator owed the schedule). */
  sendLagMs: number;
  /**
   * What the wire (and any hop in front of the engine) added to the request: client E2E from the actual send −
   * the server's `total_duration`. Undefined when the server reported no total.
   */
  overheadMs: number | undefined;
  /**
   * What it added before the first token: client TTFT from the actual send − (`load_duration` +
   * `prompt_eval_duration`). Undefined without a total or without content.
   */
  ttftOverheadMs: number | undefined;
  /**
   * What it added per token after the first: (overhead − first-token overhead) / (tokens − 1); undefined with
   * fewer than 2 tokens.
   */
  tokenOverheadMs: number | undefined;
}

/** Computes {@link StreamMetrics} from a timeline. Pure, so it is tested on hand-made timelines. */
export function computeStreamMetrics(tl: StreamTimeline): StreamMetrics {
  const start = tl.intendedStart;
  let chunks = 0;
  let first: number | undefined;
  let prevContent: number | undefined;
  const gaps: number[] = [];
  let lastAt = tl.end;
  for (const c of tl.chunks) {
    lastAt = c.t;
    if (c.text.length === 0) continue;
    chunks++;
    if (first === undefined) first = c.t;
    if (prevContent !== undefined) gaps.push(c.t - prevContent);
    prevContent = c.t;
  }
  const srv = tl.server;
  const tokens = srv && srv.evalCount > 0 ? srv.evalCount : chunks;
  const end = tl.chunks.length > 0 ? lastAt : tl.end;
  const e2eMs = end - start;
  const ttftMs = first === undefined ? undefined : first - start;
  const perTokenMs = ttftMs !== undefined && tokens >= 2 ? (e2eMs - ttftMs) / (tokens - 1) : undefined;
  let longestStallMs = ttftMs ?? e2eMs;
  for (const g of gaps) if (g > longestStallMs) longestStallMs = g;
  if (prevContent !== undefined && end - prevContent > longestStallMs) longestStallMs = end - prevContent;
  const reported = srv !== undefined && srv.totalMs > 0;
  const overheadMs = reported ? end - tl.sentAt - srv.totalMs : undefined;
  const ttftOverheadMs =
    reported && first !== undefined ? first - tl.sentAt - (srv.loadMs + srv.promptEvalMs) : undefined;
  const tokenOverheadMs =
    overheadMs !== undefined && ttftOverheadMs !== undefined && tokens >= 2
      ? (overheadMs - ttftOverheadMs) / (tokens - 1)
      : undefined;
  return {
    tokens,
    chunks,
    ttftMs,
    e2eMs,
    gapsMs: gaps,
    perTokenMs,
    longestStallMs,
    sendLagMs: tl.sentAt - tl.intendedStart,
    overheadMs,
    ttftOverheadMs,
    tokenOverheadMs,
  };
}

/** Nanoseconds (a bigint from the contract, or a number) to milliseconds. */
export function nsToMs(ns: bigint | number | undefined): number {
  if (ns === undefined) return 0;
  return Number(ns) / 1e6;
}
