import { createWriteStream } from "node:fs";
import type { StreamOutcome } from "./stream-call.js";

/** Where an outcome was measured. */
export interface OutcomeContext {
  scenario: string;
  transport: string;
  round: number;
}

/** A JSON-lines log with one line per request (`--jsonl`). */
export interface OutcomeLog {
  /** Appends one request's line. */
  write(at: OutcomeContext, o: StreamOutcome): void;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/** Opens (truncates) `path` for one JSON line per request. */
export function openOutcomeLog(path: string): OutcomeLog {
  const out = createWriteStream(path);
  return {
    write(at, o) {
      const line = {
        ...at,
        seq: o.seq,
        code: o.code,
        ttftMs: o.metrics.ttftMs,
        e2eMs: o.metrics.e2eMs,
        tpotMs: o.metrics.perTokenMs,
        stallMs: o.metrics.longestStallMs,
        sendLagMs: o.metrics.sendLagMs,
        tokens: o.metrics.tokens,
        chunks: o.metrics.chunks,
        overheadMs: o.metrics.overheadMs,
        ttftOverheadMs: o.metrics.ttftOverheadMs,
        server: o.server,
        verified: o.verify?.ok,
        error: o.error,
      };
      out.write(`${JSON.stringify(line)}\n`);
    },
    close: () => new Promise<void>((r) => out.end(r)),
  };
}
