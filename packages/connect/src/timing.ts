import type { Interceptor } from "@connectrpc/connect";
import { Code } from "@modelwire/core";
import { fromConnectError } from "./errors.js";

/** What the timing interceptor reports for one call attempt. */
export interface CallTiming {
  /** The RPC's name, e.g. `"Generate"`. */
  method: string;
  /** True for a streaming call. */
  stream: boolean;
  /** Milliseconds until the response headers (unary: the whole response) arrived. */
  headersMs: number;
  /** Milliseconds until the first response message (streams only; unary: equals `headersMs`). */
  firstMessageMs?: number;
  /** Milliseconds until the call ended. */
  totalMs: number;
  /** Response messages received. */
  messages: number;
  /** `Code.Ok` or the failure's code. */
  code: Code;
}

/**
 * A Connect interceptor that measures every call (headers, first message, end) with `performance.now()` and hands
 * a {@link CallTiming} to `report` when the call ends. A streaming call that is abandoned is reported when its
 * iterator is returned.
 */
export function createTimingInterceptor(report: (timing: CallTiming) => void): Interceptor {
  return (next) => async (req) => {
    const start = performance.now();
    const method = req.method.name;
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (e) {
      const ms = performance.now() - start;
      report({ method, stream: req.stream, headersMs: ms, totalMs: ms, messages: 0, code: fromConnectError(e).code });
      throw e;
    }
    const headersMs = performance.now() - start;
    if (!res.stream) {
      report({
        method,
        stream: false,
        headersMs,
        firstMessageMs: headersMs,
        totalMs: headersMs,
        messages: 1,
        code: Code.Ok,
      });
      return res;
    }
    const inner = res.message;
    async function* timed() {
      let messages = 0;
      let firstMessageMs: number | undefined;
      let code: Code;
      try {
        code = Code.Canceled; // stays so when the consumer abandons the stream
        for await (const m of inner) {
          if (messages++ === 0) firstMessageMs = performance.now() - start;
          yield m;
        }
        code = Code.Ok;
      } catch (e) {
        code = fromConnectError(e).code;
        throw e;
      } finally {
        report({
          method,
          stream: true,
          headersMs,
          firstMessageMs,
          totalMs: performance.now() - start,
          messages,
          code: code!,
        });
      }
    }
    return { ...res, message: timed() };
  };
}
