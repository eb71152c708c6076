import * as http2 from "node:http2";
import { type DescMessage, fromBinary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Code, ModelwireError } from "@modelwire/core";
import { fromConnectError } from "./errors.js";
import {
  armCall,
  type FastCall,
  type FastCallerOptions,
  type FastMethod,
  prepareCall,
  streamEnd,
  streamErrorEvent,
} from "./fast-client-common.js";
import { createEnvelopeReader, decodeError } from "./grpc-wire.js";

const { NGHTTP2_CANCEL } = http2.constants;

/** Messages buffered before the HTTP/2 stream is paused (HTTP/2 flow control then holds the server back). */
const HIGH_WATER = 32;

/** Opens one server-streaming gRPC call on an HTTP/2 session of a connect-node session manager. */
export type FastStreamCaller = <I extends DescMessage, O extends DescMessage>(
  method: FastMethod<I, O>,
  request: MessageInitShape<I>,
  call: FastCall,
) => AsyncIterable<MessageShape<O>>;

/**
 * The client's fast path for server-streaming gRPC calls: like the unary fast path, the request goes out on the
 * keepalive-managed HTTP/2 session connect-node's transport uses (PINGs, idle timeout and reconnects stay
 * connect-node's), but the call is one `session.request()` with one enveloped message out, and the response body is
 * split into messages by an incremental envelope reader (size limit from the 5-byte prefix → RESOURCE_EXHAUSTED)
 * and decoded lazily as the consumer pulls. When the consumer falls `HIGH_WATER` messages behind, the stream is
 * paused so HTTP/2 flow control holds the server back. The status comes from the trailers (or a trailers-only
 * response): messages received before a failure are delivered first, then the error. The deadline
 * (DEADLINE_EXCEEDED), the signal (its reason) and a consumer that stops early all reset the stream with CANCEL,
 * which stops the server's engine.
 */
export function createFastStreamCaller(options: FastCallerOptions): FastStreamCaller {
  const { sessionManager: sm, readMaxBytes, onTiming, wire } = options;

  const open: FastStreamCaller = (method, request, c) => ({
    [Symbol.asyncIterator]: () => run(method, request, c),
  });
  return open;

  async function* run<I extends DescMessage, O extends DescMessage>(
    method: FastMethod<I, O>,
    request: MessageInitShape<I>,
    c: FastCall,
  ): AsyncGenerator<MessageShape<O>> {
    const prepared = prepareCall(method, request, c, options, true);
    if (prepared instanceof ModelwireError) throw prepared;
    const { start } = prepared;
    const { output } = method;
    let headersMs: number | undefined;
    let firstMessageMs: number | undefined;
    let messages = 0;
    let code: Code = Code.Canceled; // stays so when the consumer stops early

    const queue: Uint8Array[] = [];
    let head = 0; // index of the next message in `queue`
    let error: ModelwireError | undefined;
    let ended = false;
    let paused = false;
    let stream: http2.ClientHttp2Stream | undefined;
    let wake: (() => void) | undefined;
    let disarm: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    /** Ends the call with `e`; `now` drops messages not yet delivered (deadline, cancel). */
    const fail = (e: ModelwireError, now: boolean) => {
      if (error || ended) return;
      error = e;
      if (now) {
        queue.length = 0;
        head = 0;
      }
      if (stream && !stream.closed) stream.close(NGHTTP2_CANCEL);
      notify();
    };

    try {
      const armed = armCall(c, (e) => fail(e, true));
      if (armed instanceof ModelwireError) throw armed;
      disarm = armed;

      // Connecting may take long (a dead peer): the deadline and the signal must still end the call.
      const opened = sm.request("POST", method.path, prepared.headers, {});
      const s = await new Promise<http2.ClientHttp2Stream | undefined>((resolve, reject) => {
        wake = () => resolve(undefined);
        opened.then(resolve, reject);
      }).catch((e) => {
        throw fromConnectError(e);
      });
      wake = undefined;
      if (!s) {
        opened.then((late) => late.close(NGHTTP2_CANCEL)).catch(() => {});
        throw error!;
      }
      stream = s;
      if (error) {
        s.close(NGHTTP2_CANCEL);
        throw error;
      }

      let status: number | undefined;
      let responseHeaders: http2.IncomingHttpHeaders | undefined;
      let trailers: http2.IncomingHttpHeaders | undefined;
      const reader = createEnvelopeReader(readMaxBytes, wire.endFlag);
      s.once("response", (h) => {
        responseHeaders = h;
        status = Number(h[":status"]);
        if (onTiming) headersMs = performance.now() - start;
      });
      s.on("data", (chunk: Buffer) => {
        sm.notifyResponseByteRead(s);
        if (error) return;
        const before = queue.length;
        const bad = reader.push(chunk, queue);
        if (bad) {
          fail(new ModelwireError(bad.message, bad.code), false);
          return;
        }
        if (queue.length - head >= HIGH_WATER && !paused) {
          paused = true;
          s.pause();
        }
        if (queue.length > before) notify();
      });
      s.once("trailers", (t) => {
        trailers = t;
      });
      const session = s.session;
      s.once("error", (e) => {
        const err = streamErrorEvent(e);
        if (err) fail(err, false);
      });
      s.once("close", () => {
        if (!error) {
          const end = streamEnd(s, session, status, responseHeaders, trailers, prepared.deadline);
          const e = wire.status(end, reader.endFrame(), true, EMPTY);
          if (e) error = e;
          else if (reader.pending() > 0)
            error = new ModelwireError("protocol error: incomplete envelope at the end of the response", Code.Internal);
        }
        ended = true;
        notify();
      });
      s.end(prepared.body);

      for (;;) {
        if (head < queue.length) {
          const raw = queue[head];
          queue[head++] = EMPTY;
          if (head === queue.length) {
            queue.length = 0;
            head = 0;
          }
          if (paused && queue.length - head < HIGH_WATER / 2) {
            paused = false;
            s.resume();
          }
          let decoded: MessageShape<O>;
          try {
            decoded = fromBinary(output, raw);
          } catch (e) {
            const err = decodeError(output.typeName, e, Code.Internal);
            fail(err, true);
            throw err;
          }
          if (messages++ === 0 && onTiming) firstMessageMs = performance.now() - start;
          yield decoded;
          continue;
        }
        if (error) throw error;
        if (ended) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      code = Code.Ok;
    } catch (e) {
      const err = e instanceof ModelwireError ? e : ModelwireError.from(e, Code.Internal);
      code = err.code;
      throw err;
    } finally {
      disarm?.();
      // The consumer stopped early (break, return) or the call failed: reset the stream so the server stops.
      if (stream && !stream.closed) stream.close(NGHTTP2_CANCEL);
      if (onTiming) {
        const totalMs = performance.now() - start;
        onTiming({
          method: method.name,
          stream: true,
          headersMs: headersMs ?? totalMs,
          firstMessageMs,
          totalMs,
          messages,
          code,
        });
      }
    }
  }
}

const EMPTY = new Uint8Array(0);
