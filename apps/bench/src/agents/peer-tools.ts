import { create, toBinary } from "@bufbuild/protobuf";
import { type GenerateRequestInit, GenerateRequestSchema } from "@modelwire/core";

/**
 * Peer load tools (wrk for HTTP/1.1, h2load for HTTP/2) driven at the same endpoint as `modelwire bench`, for the
 * figure "how far is our generator from a C load tool on this machine". Pure parts only: the request bodies they
 * send and the parsing of their summaries; running them is the caller's.
 */

/** A peer tool's summary: its rate, and whether every request it sent succeeded. */
export interface PeerFigures {
  tool: "wrk" | "h2load";
  requests: number;
  rps: number;
  /** Requests that did not succeed (socket errors, non-2xx, h2load's failed/errored/timeouts). */
  failed: number;
}

/** Thrown when a tool's output has no summary in it (it failed to start, or its format changed). */
export class PeerOutputError extends Error {
  override name = "PeerOutputError";
}

function need(re: RegExp, text: string, what: string, tool: string): RegExpMatchArray {
  const m = text.match(re);
  if (!m) throw new PeerOutputError(`${tool} printed no ${what}; its output was: ${text.slice(-600)}`);
  return m;
}

/** Parses wrk's summary (`N requests in Ts`, `Requests/sec:`, socket errors, non-2xx responses). */
export function parseWrk(text: string): PeerFigures {
  const requests = Number(need(/(\d+) requests in [\d.]+\w+/, text, "request count", "wrk")[1]);
  const rps = Number(need(/Requests\/sec:\s+([\d.]+)/, text, "Requests/sec line", "wrk")[1]);
  const sock = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const socketErrors = sock ? sock.slice(1, 5).reduce((a, x) => a + Number(x), 0) : 0;
  const non2xx = Number(text.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  return { tool: "wrk", requests, rps, failed: socketErrors + non2xx };
}

/**
 * Parses h2load's summary (`finished in Ts, R req/s` and the requests line). h2load's `failed` already includes
 * its `errored` and `timeout` requests and non-2xx/3xx replies (its status codes line also counts the warm-up's, so it
 * is not compared with `done`). A gRPC error travels in a 200 reply's trailers, which h2load does not read: the
 * caller checks the request once by itself.
 */
export function parseH2load(text: string): PeerFigures {
  const rps = Number(need(/finished in [\d.]+\w+, ([\d.]+) req\/s/, text, "finished line", "h2load")[1]);
  const req = need(
    /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/,
    text,
    "requests line",
    "h2load",
  );
  return { tool: "h2load", requests: Number(req[1]), rps, failed: Number(req[2]) };
}

/** The Ollama `/api/generate` JSON body of a request (streamed NDJSON reply, as the bench's http wire asks). */
export function ollamaGenerateBody(r: GenerateRequestInit): string {
  const o = r.options ?? {};
  const options: Record<string, number> = {};
  if (o.numPredict !== undefined) options.num_predict = Number(o.numPredict);
  if (o.temperature !== undefined) options.temperature = o.temperature;
  if (o.seed !== undefined) options.seed = Number(o.seed);
  return JSON.stringify({ model: r.model, prompt: r.prompt, options });
}

/** A wrk Lua script that POSTs `body` as JSON on every request. */
export function wrkPostScript(body: string): string {
  return `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`;
}

/** One gRPC length-prefixed message (uncompressed) holding the GenerateRequest: what h2load sends with `-d`. */
export function grpcGenerateFrame(r: GenerateRequestInit): Uint8Array {
  const msg = toBinary(GenerateRequestSchema, create(GenerateRequestSchema, r));
  const frame = new Uint8Array(5 + msg.length);
  new DataView(frame.buffer).setUint32(1, msg.length);
  frame.set(msg, 5);
  return frame;
}
