/** One received chunk of a stream: its arrival time (ms, `performance.now()` clock) and its content text. */
export interface ChunkArrival {
  /** Arrival time in milliseconds. */
  t: number;
  /** The chunk's content text ("" for the final chunk or an empty keep-alive chunk). */
  text: string;
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
}

/** The LLM-stream figures of one stream, in milliseconds. */
export interface StreamMetrics {
  /** Content tokens (non-empty content chunks) received. */
  tokens: number;
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
}

/** Computes {@link StreamMetrics} from a timeline. Pure, so it is tested on hand-made timelines. */
export function computeStreamMetrics(tl: StreamTimeline): StreamMetrics {
  const start = tl.intendedStart;
  let tokens = 0;
  let first: number | undefined;
  let prevContent: number | undefined;
  const gaps: number[] = [];
  let lastAt = tl.end;
  for (const c of tl.chunks) {
    lastAt = c.t;
    if (c.text.length === 0) continue;
    tokens++;
    if (first === undefined) first = c.t;
    if (prevContent !== undefined) gaps.push(c.t - prevContent);
    prevContent = c.t;
  }
  const end = tl.chunks.length > 0 ? lastAt : tl.end;
  const e2eMs = end - start;
  const ttftMs = first === undefined ? undefined : first - start;
  const perTokenMs = ttftMs !== undefined && tokens >= 2 ? (e2eMs - ttftMs) / (tokens - 1) : undefined;
  let longestStallMs = ttftMs ?? e2eMs;
  for (const g of gaps) if (g > longestStallMs) longestStallMs = g;
  if (prevContent !== undefined && end - prevContent > longestStallMs) longestStallMs = end - prevContent;
  return { tokens, ttftMs, e2eMs, gapsMs: gaps, perTokenMs, longestStallMs, sendLagMs: tl.sentAt - tl.intendedStart };
}
