import type { IncomingHttpHeaders } from "node:http";
import type { CallOptions as ConnectCallOptions } from "@connectrpc/connect";
import { Code as ConnectCode, ConnectError, createContextKey } from "@connectrpc/connect";
import { MAX_TIMER_MS, setLongTimeout } from "@modelwire/core";
import { grpcTimeout, parseGrpcTimeout } from "./grpc-wire.js";

/**
 * Works around two things connect-es 2.1.1's client does with a call's `timeoutMs`: it arms one `setTimeout` for
 * it (past Node's 2³¹−1 ms limit that timer fires after 1 ms, so a 30-day call fails at once with
 * DEADLINE_EXCEEDED and a TimeoutOverflowWarning), and on gRPC and gRPC-Web it sends `grpc-timeout: <ms>m`, which
 * from 10⁸ ms on has more than the 8 digits gRPC's spec allows (servers refuse it as malformed).
 *
 * For such a timeout the call goes to connect-es without one: the deadline travels in a header we write
 * (`grpc-timeout` in the spec's format, or Connect's `connect-timeout-ms`, at most 10 digits) and fires through a
 * chained timer that aborts the call's signal with connect-es's own DEADLINE_EXCEEDED error. Other calls pass
 * through untouched.
 */
export function stockCallOptions(
  o: ConnectCallOptions,
  protocol: "grpc" | "grpc-web" | "connect",
): { options: ConnectCallOptions; dispose(): void } {
  const ms = o.timeoutMs;
  const limit = protocol === "connect" ? MAX_TIMER_MS : 99_999_999;
  if (ms === undefined || ms <= limit) return { options: o, dispose: noop };
  const controller = new AbortController();
  const parent = o.signal;
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener("abort", onAbort, { once: true });
  const timer = setLongTimeout(
    () => controller.abort(new ConnectError("the operation timed out", ConnectCode.DeadlineExceeded)),
    ms,
  ).unref();
  const headers = new Headers(o.headers);
  if (protocol === "connect") headers.set("connect-timeout-ms", String(Math.min(Math.ceil(ms), 9_999_999_999)));
  else headers.set("grpc-timeout", grpcTimeout(ms));
  return {
    options: { ...o, timeoutMs: undefined, signal: controller.signal, headers },
    dispose() {
      timer.clear();
      parent?.removeEventListener("abort", onAbort);
    },
  };
}

/** A unary stock call under {@link stockCallOptions}. */
export async function stockUnary<T>(
  o: ConnectCallOptions,
  protocol: "grpc" | "grpc-web" | "connect",
  call: (o: ConnectCallOptions) => Promise<T>,
): Promise<T> {
  const s = stockCallOptions(o, protocol);
  try {
    return await call(s.options);
  } finally {
    s.dispose();
  }
}

/** A streaming stock call under {@link stockCallOptions}; the timer goes when the stream ends or is left. */
export function stockStream<T>(
  o: ConnectCallOptions,
  protocol: "grpc" | "grpc-web" | "connect",
  open: (o: ConnectCallOptions) => AsyncIterable<T>,
): AsyncIterable<T> {
  const s = stockCallOptions(o, protocol);
  if (s.dispose === noop) return open(o);
  return (async function* () {
    try {
      yield* open(s.options);
    } finally {
      s.dispose();
    }
  })();
}

function noop(): void {}

/**
 * The call's deadline (epoch ms) when its timeout header asks for more than Node's timer limit. connect-es's
 * server arms one `setTimeout` per call for it, which would fire after 1 ms: {@link takeLongTimeout} takes such a
 * header off the request before connect-node reads it and puts the deadline here, where the InferenceService
 * implementation arms a chained timer instead.
 */
export const LONG_DEADLINE = createContextKey<number | undefined>(undefined, { description: "modelwire deadline" });

/**
 * Removes a `grpc-timeout` or `connect-timeout-ms` header longer than Node's timer limit from `headers` and
 * returns the deadline it meant (epoch ms); undefined (headers untouched) for every other request. A malformed
 * header is left for connect-node to refuse.
 */
export function takeLongTimeout(headers: IncomingHttpHeaders): number | undefined {
  const grpc = headers["grpc-timeout"];
  if (typeof grpc === "string") {
    const ms = parseGrpcTimeout(grpc);
    if (typeof ms !== "number" || ms <= MAX_TIMER_MS) return undefined;
    delete headers["grpc-timeout"];
    return Date.now() + ms;
  }
  const connect = headers["connect-timeout-ms"];
  if (typeof connect === "string" && /^\d{1,10}$/.test(connect) && Number(connect) > MAX_TIMER_MS) {
    delete headers["connect-timeout-ms"];
    return Date.now() + Number(connect);
  }
  return undefined;
}
