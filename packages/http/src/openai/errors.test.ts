import { Code, ModelwireError } from "@modelwire/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { errorFromOpenAI, openaiErrorBody, openaiErrorStatus } from "./errors.js";

describe("OpenAI-shaped errors", () => {
  it("carry message, a type by status as Ollama assigns it, the param and modelwire's code name", () => {
    const bad = new ModelwireError("temperature must be within [0, 2], got 3", Code.InvalidArgument, {
      field: "temperature",
    });
    expect(openaiErrorStatus(bad)).toBe(400);
    expect(openaiErrorBody(bad)).toEqual({
      error: {
        message: "temperature must be within [0, 2], got 3",
        type: "invalid_request_error",
        param: "temperature",
        code: "invalid_argument",
      },
    });
    const missing = new ModelwireError("model 'x' not found", Code.NotFound, { model: "x" });
    expect(openaiErrorStatus(missing)).toBe(404);
    expect(openaiErrorBody(missing).error).toMatchObject({ type: "not_found_error", param: null, code: "not_found" });
    const busy = new ModelwireError("server busy", Code.ResourceExhausted);
    expect(openaiErrorStatus(busy)).toBe(503);
    expect(openaiErrorBody(busy).error.type).toBe("api_error");
  });

  it("name the OpenAI field when the engine named the mapped Ollama option", () => {
    const e = new ModelwireError("bad", Code.InvalidArgument, { field: "options.num_predict" });
    expect(openaiErrorBody(e).error.param).toBe("max_tokens");
    const f = new ModelwireError("bad", Code.InvalidArgument, { field: "format" });
    expect(openaiErrorBody(f).error.param).toBe("response_format");
    const body = new ModelwireError("unexpected EOF", Code.InvalidArgument, { field: "body" });
    expect(openaiErrorBody(body).error.param).toBeNull();
  });

  it("read back as the same code and field, for every code", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.string(),
        fc.option(fc.string({ minLength: 1 })),
        (c, msg, field) => {
          const e = new ModelwireError(msg, c as Code, field === null ? {} : { field });
          const status = openaiErrorStatus(e);
          const back = errorFromOpenAI(JSON.parse(JSON.stringify(openaiErrorBody(e))), status);
          expect(back.code).toBe(c);
          expect(back.metadata.httpStatus).toBe(String(status));
          if (msg !== "") expect(back.rawMessage).toBe(msg);
        },
      ),
    );
  });

  it("read another server's errors by status (429 and a busy 503 as ResourceExhausted)", () => {
    const openaiStyle = {
      error: { message: "Rate limit reached", type: "requests", param: null, code: "rate_limit_exceeded" },
    };
    expect(errorFromOpenAI(openaiStyle, 429).code).toBe(Code.ResourceExhausted);
    expect(errorFromOpenAI({ error: { message: "server busy, please try again" } }, 503).code).toBe(
      Code.ResourceExhausted,
    );
    expect(errorFromOpenAI({ error: { message: "down" } }, 503).code).toBe(Code.Unavailable);
    expect(errorFromOpenAI({ error: { message: "bad key", code: "invalid_api_key" } }, 401).code).toBe(
      Code.Unauthenticated,
    );
    expect(errorFromOpenAI("plain text", 500).rawMessage).toBe("plain text");
    expect(errorFromOpenAI(undefined, 502).rawMessage).toBe("HTTP 502");
    const inStream = errorFromOpenAI({ error: { message: "boom" } });
    expect(inStream.code).toBe(Code.Internal);
    expect(inStream.rawMessage).toBe("boom");
  });
});
