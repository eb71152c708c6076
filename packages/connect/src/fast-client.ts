import * as http2 from "node:http2";
import { type DescMessage, fromBinary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Code, ModelwireError } from "@modelwire/core";
import type { ClientWire } from "./client-wires.js";
import { fromConnectError } from "./errors.js";
import {
  armCall,
  type FastCall,
  type FastCallerOptions,
  type FastMethod,
  prepareCall,
  type StreamEnd,
  streamEnd,
  streamErrorEvent,
} from "./fast-client-common.js";
import { createEnvelopeReader, decodeError, readLimitError } from "./grpc-wire.js";

/** Calls one unary method (gRPC, gRPC-Web or Connect) on an HTTP/2 session of a connect-node session manager. */
export type FastUnaryCaller = <I extends DescMessage, O extends DescMessage>(
  method: FastMethod<I, O>,
  request: MessageInitShape<I>,
  call: FastCall,
) => Promise<MessageShape<O>>;

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = http2.constants;

/**
 * The client's fast path for unary gRPC calls: the request goes out on the same keepalive-managed HTTP/2 session
 * connect-node's transport uses (so PINGs, idle timeout and reconnects are connect-node's), but the call itself is
 * one `session.request()`, one enveloped message out, one in and the `grpc-status` trailer — without the
 * per-call interceptor chain, sentinel, async-iterable pipeline and the Error/DOMException objects connect-node
 * builds for every successful call (docs/connect-perf.md). Failures are {@link ModelwireError}s with the code the
 * server sent, DEADLINE_EXCEEDED at the deadline, CANCELED on the signal.
 */
export function createFastUnaryCaller(options: FastCallerOptions): FastUnaryCaller {
  const { sessionManager: sm, readMaxBytes, onTiming, wire } = options;

  return function call<I extends DescMessage, O extends DescMessage>(
    method: FastMethod<I, O>,
    request: MessageInitShape<I>,
    c: FastCall,
  ): Promise<MessageShape<O>> {
    const prepared = prepareCall(method, request, c, options, false);
    if (prepared instanceof ModelwireError) return Promise.reject(prepared);
    const { start } = prepared;
    const { output } = method;

    return new Promise<MessageShape<O>>((resolve, reject) => {
      let settled = false;
      let stream: http2.ClientHttp2Stream | undefined;
      let disarm: (() => void) | undefined;
      const settle = (error: ModelwireError | undefined, value?: MessageShape<O>) => {
        if (settled) return;
        settled = true;
        disarm?.();
        if (error && stream && !stream.closed)
          stream.close(
            error.code === Code.Canceled || error.code === Code.DeadlineExceeded ? NGHTTP2_CANCEL : NGHTTP2_NO_ERROR,
          );
        onTiming?.({
          method: method.name,
          stream: false,
          headersMs: performance.now() - start,
          firstMessageMs: error ? undefined : performance.now() - start,
          totalMs: performance.now() - start,
          messages: error ? 0 : 1,
          code: error ? error.code : Code.Ok,
        });
        if (error) reject(error);
        else resolve(value!);
      };
      const armed = armCall(c, settle);
      if (armed instanceof ModelwireError) return settle(armed);
      disarm = armed;

      sm.request("POST", method.path, prepared.headers, {}).then(
        (s) => {
          stream = s;
          if (settled) {
            s.close(NGHTTP2_CANCEL);
            return;
          }
          let status: number | undefined;
          let head: http2.IncomingHttpHeaders | undefined;
          let trailers: http2.IncomingHttpHeaders | undefined;
          const chunks: Buffer[] = [];
          let size = 0;
          s.once("response", (h) => {
            head = h;
            status = Number(h[":status"]);
          });
          s.on("data", (chunk: Buffer) => {
            sm.notifyResponseByteRead(s);
            size += chunk.length;
            // The message plus its envelope, and a final frame's when the wire has one (bounded by the same limit).
            if (size > (wire.endFlag === undefined ? readMaxBytes + 5 : 2 * (readMaxBytes + 5))) {
              settle(readLimitError(readMaxBytes));
              return;
            }
            chunks.push(chunk);
          });
          s.once("trailers", (t) => {
            trailers = t;
          });
          const session = s.session;
          s.once("error", (e) => {
            const err = streamErrorEvent(e);
            if (err) settle(err);
          });
          s.once("close", () => {
            if (settled) return;
            const end = streamEnd(s, session, status, head, trailers, prepared.deadline);
            const r = evaluate(wire, end, chunks, readMaxBytes);
            if (r.error) settle(r.error);
            else {
              try {
                settle(undefined, fromBinary(output, r.message!));
              } catch (e) {
                settle(decodeError(output.typeName, e, Code.Internal));
              }
            }
          });
          s.end(prepared.body);
        },
        (e) => settle(fromConnectError(e)),
      );
    });
  };
}

/**
 * Reads a finished unary response: the status as the wire carries it (trailers or a trailers-only HEADERS, a
 * gRPC-Web trailer frame, a Connect HTTP status and JSON error), then the one message.
 */
function evaluate(
  wire: ClientWire,
  end: StreamEnd,
  chunks: Buffer[],
  readMaxBytes: number,
): { error?: ModelwireError; message?: Uint8Array } {
  const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  if (!wire.enveloped(false)) {
    const error = wire.status(end, undefined, false, body);
    if (error) return { error };
    if (body.length > readMaxBytes) return { error: readLimitError(readMaxBytes) };
    return { message: body };
  }
  const messages: Uint8Array[] = [];
  const reader = createEnvelopeReader(readMaxBytes, wire.endFlag);
  const bad = reader.push(body, messages);
  const error = wire.status(end, reader.endFrame(), false, body);
  if (error) return { error };
  if (bad) return { error: new ModelwireError(bad.message, bad.code) };
  if (reader.pending() > 0)
    return { error: new ModelwireError("protocol error: malformed response envelope", Code.Internal) };
  if (messages.length === 0)
    return { error: new ModelwireError("protocol error: missing output message for unary method", Code.Internal) };
  if (messages.length > 1)
    return {
      error: new ModelwireError("protocol error: received extra output message for unary method", Code.Unimplemented),
    };
  return { message: messages[0] };
}
