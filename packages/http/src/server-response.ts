import type { ServerResponse } from "node:http";
import { type CoalescingWriter, createCoalescingWriter, joinTexts, type ModelwireError } from "@modelwire/core";
import { errorHttpStatus, errorToJson } from "./ollama-error.js";

const JSON_TYPE = "application/json; charset=utf-8";

/** Sends a JSON body with a status (Content-Length set, so keep-alive works). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": JSON_TYPE,
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(res.req.method === "HEAD" ? undefined : text);
}

/** Sends Ollama's error shape `{"error": "..."}` with the error's status (or `status` when given). */
export function sendError(
  res: ServerResponse,
  err: ModelwireError,
  status?: number,
  headers?: Record<string, string>,
): void {
  sendJson(res, status ?? errorHttpStatus(err), errorToJson(err), headers);
}

/** Content type of a streamed reply, as Ollama sends it. */
export const NDJSON_TYPE = "application/x-ndjson";

/**
 * Writes a streamed text body with backpressure. Texts written in the same turn of the event loop share one socket
 * write (the response is corked until `setImmediate`), which costs no latency: a token is flushed as soon as the
 * engine yields to I/O. A text written while an earlier write still waits for the socket is joined with the next ones
 * (core's createCoalescingWriter: a reader that falls behind costs a few queued writes, not one per token).
 * Streamed replies (NDJSON, Server-Sent Events) are written with it.
 */
export class StreamTextWriter {
  private corked = false;
  private generation = 0;
  private readonly writer: CoalescingWriter<string>;
  /**
   * @param signal the call's signal: a wait for 'drain' also ends when it fires (a write stall, a deadline), so the
   *   stream can end with its error line instead of waiting on a reader that stopped.
   */
  constructor(
    private readonly res: ServerResponse,
    private readonly signal?: AbortSignal,
  ) {
    this.writer = createCoalescingWriter<string>(res, joinTexts);
  }

  /** Writes one text. Returns a promise when the caller should wait for the socket to drain. */
  writeText(text: string): Promise<void> | undefined {
    const res = this.res;
    if (!this.corked) {
      this.corked = true;
      res.cork();
      const gen = ++this.generation;
      setImmediate(() => {
        if (this.corked && this.generation === gen) this.uncork();
      });
    }
    if (this.writer.write(text)) return undefined;
    const signal = this.signal;
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        res.off("drain", done);
        res.off("close", done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      res.on("drain", done);
      res.on("close", done);
      signal?.addEventListener("abort", done);
      // A corked stream only drains once it is uncorked.
      this.uncork();
    });
  }

  /** Writes an optional last text and ends the response. */
  endText(text?: string): void {
    this.writer.flush();
    this.uncork();
    if (text === undefined) this.res.end();
    else this.res.end(text);
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.res.uncork();
  }
}
