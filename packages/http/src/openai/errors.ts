import { Code, codeFromName, codeName, codeToHttpStatus, httpStatusToCode, ModelwireError } from "@modelwire/core";
import { isRecord } from "../json-read.js";
import type { OpenAIErrorJson } from "./wire.js";

/**
 * The OpenAI request field an engine-side field name stands for: the engine validates the mapped Ollama request
 * and names `options.temperature`, which an OpenAI caller knows as `temperature`.
 */
const PARAM_OF_FIELD: Readonly<Record<string, string>> = {
  "options.temperature": "temperature",
  "options.top_p": "top_p",
  "options.seed": "seed",
  "options.stop": "stop",
  "options.num_predict": "max_tokens",
  "options.frequency_penalty": "frequency_penalty",
  "options.presence_penalty": "presence_penalty",
  format: "response_format",
  think: "reasoning_effort",
};

/**
 * The `type` OpenAI-compatible clients read, by HTTP status as Ollama assigns it (400 `invalid_request_error`,
 * 404 `not_found_error`, anything else `api_error`); 401 and 413 are request errors too, as OpenAI reports them.
 */
function errorType(status: number): string {
  if (status === 400 || status === 401 || status === 413 || status === 422) return "invalid_request_error";
  if (status === 404) return "not_found_error";
  return "api_error";
}

/** The HTTP status of an error on the OpenAI routes: the shared table (400, 404, 503 busy or down, 500 ...). */
export function openaiErrorStatus(err: ModelwireError): number {
  return codeToHttpStatus[err.code] ?? 500;
}

/**
 * OpenAI's error body for an error: `message` is the bare text, `type` follows the status, `param` names the
 * offending request field (or is null), `code` is modelwire's snake_case code name (`"invalid_argument"`,
 * `"not_found"`, `"resource_exhausted"`), which modelwire's own client reads back exactly.
 */
export function openaiErrorBody(err: ModelwireError, status = openaiErrorStatus(err)): OpenAIErrorJson {
  const field = err.metadata.field;
  const param = field === undefined || field === "" || field === "body" ? null : (PARAM_OF_FIELD[field] ?? field);
  return { error: { message: err.rawMessage, type: errorType(status), param, code: codeName(err.code) } };
}

/**
 * Reads an OpenAI error body (`status` undefined for an error event inside a stream) as a ModelwireError. The code
 * is modelwire's own when the `code` key names one, else it follows the status (429 and a 503 that says the server
 * is busy read as `ResourceExhausted`); `param` becomes `metadata.field`.
 */
export function errorFromOpenAI(body: unknown, status?: number): ModelwireError {
  const e = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const message =
    typeof e?.message === "string" && e.message !== ""
      ? e.message
      : typeof body === "string" && body !== ""
        ? body
        : status !== undefined
          ? `HTTP ${status}`
          : "server sent an error event";
  const metadata: Record<string, string> = {};
  if (status !== undefined) metadata.httpStatus = String(status);
  if (typeof e?.param === "string") metadata.field = e.param;
  const named = typeof e?.code === "string" ? codeFromName(e.code) : undefined;
  if (named !== undefined && named !== Code.Ok) return new ModelwireError(message, named, metadata);
  if (status === undefined) return new ModelwireError(message, Code.Internal, metadata);
  let code = httpStatusToCode(status);
  if (status === 503 && /busy|too many|overload|queue/i.test(message)) code = Code.ResourceExhausted;
  if (code === Code.Ok) code = Code.Unknown;
  return new ModelwireError(message, code, metadata);
}
