import { describe, expect, it } from "vitest";
import { Code } from "./code.js";
import { invalidArgument, ModelwireError, modelNotFound } from "./error.js";

describe("ModelwireError", () => {
  it("prefixes the message with the code name and keeps the raw text", () => {
    const e = new ModelwireError("model 'x' not found", Code.NotFound, { model: "x" });
    expect(e.message).toBe("[not_found] model 'x' not found");
    expect(e.rawMessage).toBe("model 'x' not found");
    expect(e.code).toBe(Code.NotFound);
    expect(e.metadata.model).toBe("x");
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(ModelwireError);
  });

  it("from() keeps a ModelwireError as it is", () => {
    const e = modelNotFound("llama");
    expect(ModelwireError.from(e)).toBe(e);
  });

  it("from() turns an abort into Canceled and a timeout into DeadlineExceeded", () => {
    const ac = new AbortController();
    ac.abort();
    expect(ModelwireError.from(ac.signal.reason).code).toBe(Code.Canceled);
    expect(ModelwireError.from(AbortSignal.timeout(0).reason ?? new DOMException("t", "TimeoutError")).code).toBe(
      Code.DeadlineExceeded,
    );
  });

  it("from() turns connection errors into Unavailable and the rest into the fallback", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(ModelwireError.from(refused).code).toBe(Code.Unavailable);
    expect(ModelwireError.from(new Error("boom")).code).toBe(Code.Unknown);
    expect(ModelwireError.from(new Error("boom"), Code.Internal).code).toBe(Code.Internal);
    expect(ModelwireError.from("a string").rawMessage).toBe("a string");
  });

  it("invalidArgument() names the field", () => {
    const e = invalidArgument("options.top_p", "options.top_p must be within [0, 1], got 2");
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.metadata.field).toBe("options.top_p");
  });
});
