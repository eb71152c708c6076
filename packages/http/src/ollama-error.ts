import { Code, codeFromName, codeName, codeToHttpStatus, httpStatusToCode, ModelwireError } from "@modelwire/core";
import { isRecord } from "./json-read.js";

/**
 * Ollama's error body, `{"error": "..."}`. modelwire adds `code` (the snake_case code name, e.g.
 * `"resource_exhausted"`) so its own client can tell apart statuses Ollama overloads (503 busy vs unavailable) and
 * errors sent as the last NDJSON line of a 200; Ollama's clients ignore the extra key.
 */
export interface OllamaErrorJson {
  error: string;
  code?: string;
}

/** The body and HTTP status the server sends for an error. */
export function errorToJson(err: ModelwireError): OllamaErrorJson {
  return { error: err.rawMessage, code: codeName(err.code) };
}

/** The HTTP status of an error, by the shared table (400, 404, 503, 500 ...). */
export function errorHttpStatus(err: ModelwireError): number {
  return codeToHttpStatus[err.code] ?? 500;
}

/**
 * Turns an Ollama error body (or an NDJSON `{"error"}` line, `status` undefined) into a ModelwireError. The code
 * comes from modelwire's `code` key when present, else from the HTTP status (503 whose text says the server is
 * busy reads as `ResourceExhausted`), else `Internal` for an error line inside a stream.
 */
export function errorFromJson(body: unknown, status?: number): ModelwireError {
  const text =
    isRecord(body) && typeof body.error === "string"
      ? body.error
      : status !== undefined
        ? `HTTP ${status}`
        : "server sent an error";
  const metadata: Record<string, string> = {};
  if (status !== undefined) metadata.httpStatus = String(status);
  const named = isRecord(body) && typeof body.code === "string" ? codeFromName(body.code) : undefined;
  if (named !== undefined && named !== Code.Ok) return new ModelwireError(text, named, metadata);
  if (status === undefined) {
    return new ModelwireError(text, /not found/i.test(text) ? Code.NotFound : Code.Internal, metadata);
  }
  let code = httpStatusToCode(status);
  if (status === 503 && /busy|too many|overload|queue/i.test(text)) code = Code.ResourceExhausted;
  if (code === Code.Ok) code = Code.Unknown;
  return new ModelwireError(text, code, metadata);
}
