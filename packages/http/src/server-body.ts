import type { IncomingMessage } from "node:http";
import { Code, ModelwireError, setLongTimeout } from "@modelwire/core";

/** Why reading a body failed: the status and message to answer with, or `gone` when the client left. */
export class BodyError extends ModelwireError {
  constructor(
    message: string,
    code: Code,
    /** HTTP status to answer with (413, 408, 400), or 0 when the client is gone and nothing can be sent. */
    readonly status: number,
  ) {
    super(message, code, status ? { httpStatus: String(status) } : {});
  }
}

/**
 * Reads a request body up to `maxBytes` within `timeoutMs`. A declared `Content-Length` above the limit fails at
 * once (413) without reading; a body that grows past it fails as soon as it does (413); a body still incomplete
 * after `timeoutMs` fails with 408; a client that goes away fails with status 0.
 */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(
      new BodyError(
        `request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`,
        Code.ResourceExhausted,
        413,
      ),
    );
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err?: BodyError) => {
      if (settled) return;
      settled = true;
      timer.clear();
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onGone);
      req.off("close", onClose);
      if (err) {
        // Stop reading; the response carries `Connection: close`, so the rest of the body is never consumed.
        req.pause();
        reject(err);
      } else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish(new BodyError(`request body exceeds the limit of ${maxBytes} bytes`, Code.ResourceExhausted, 413));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onGone = () =>
      finish(new BodyError("client closed the connection before sending the body", Code.Canceled, 0));
    const onClose = () => {
      if (!req.complete) onGone();
    };
    const timer = setLongTimeout(
      () => finish(new BodyError(`request body not received within ${timeoutMs} ms`, Code.DeadlineExceeded, 408)),
      timeoutMs,
    ).unref();
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onGone);
    req.on("close", onClose);
  });
}

/**
 * Parses a body as JSON the way Ollama's handlers do: an empty body is `missing request body`, invalid JSON is
 * reported with the parser's message; both are `InvalidArgument` (HTTP 400).
 */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new ModelwireError("missing request body", Code.InvalidArgument, { field: "body" });
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new ModelwireError("request body is not valid UTF-8", Code.InvalidArgument, { field: "body" });
  }
  if (text.trim() === "") throw new ModelwireError("missing request body", Code.InvalidArgument, { field: "body" });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const reason = (e as Error).message;
    const truncated = /end of (json )?input|unterminated/i.test(reason);
    throw new ModelwireError(truncated ? "unexpected EOF" : `invalid JSON: ${reason}`, Code.InvalidArgument, {
      field: "body",
    });
  }
  checkDepth(value, MAX_JSON_DEPTH);
  return value;
}

/** Deepest nesting of arrays and objects accepted in a body (JSON schemas and tool arguments stay far below). */
export const MAX_JSON_DEPTH = 128;

/** Rejects nesting deeper than `max` without recursion, so later recursive code (stringify, protobuf) is safe. */
function checkDepth(root: unknown, max: number): void {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) {
      throw new ModelwireError(`JSON nesting deeper than ${max} levels`, Code.InvalidArgument, { field: "body" });
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
}

/** Discards a request body the server will not read, so a keep-alive connection stays usable. */
export function drainBody(req: IncomingMessage): void {
  if (!req.complete) req.resume();
}
