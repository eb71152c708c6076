import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { abortReason, type CallOptions, Code, type DataType, ModelwireError } from "@modelwire/core";
import { entryEnd, type Frame, FrameType, Method, readEntry } from "@modelwire/mcp-codec";
import { Call } from "./call.js";
import type { RequestBody } from "./client-connection.js";
import type { ClientStream } from "./client-stream.js";

/**
 * Opens a call's stream: at once on a ready connection with a free slot, else once a connection is up or a slot
 * frees (a promise); throws or rejects with the reason it cannot.
 */
export type StartCall = (
  call: Call,
  method: Method,
  dataType: DataType,
  body: RequestBody,
) => ClientStream | Promise<ClientStream>;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
const NO_BYTES = new Uint8Array(0);

/**
 * A streaming call (generate, chat) as the caller iterates it: the stream opens on the first `next()`, DATA frames
 * become chunks through `decodeData` (the hand-written codec; protobuf-es `fromBinary` where it declines) and the
 * END frame the final chunk through `decodeEnd`. A failure ends the iteration with a ModelwireError and cancels the
 * stream, as does `return()` (a `break` out of `for await`). After the first, a `next()` is not an async function:
 * a frame already queued becomes the chunk at once (one resolved promise), and one still to come is decoded the
 * moment it is delivered (the promise the caller awaits is the only one made for it). A batched DATA frame
 * (docs/mcp-wire.md §4.9) is taken once and read entry by entry: its chunks after the first cost no frame, queue or
 * sequence work, only the entry's length prefix and its decode.
 */
export function streamingCall<S extends DescMessage>(
  start: StartCall,
  method: Method,
  dataType: DataType,
  body: () => RequestBody,
  schema: S,
  options: CallOptions | undefined,
  decodeData?: (payload: Uint8Array, start?: number, end?: number) => MessageShape<S> | undefined,
  decodeEnd?: (payload: Uint8Array) => MessageShape<S> | undefined,
): AsyncIterable<MessageShape<S>> {
  return {
    [Symbol.asyncIterator]: () => {
      let call: Call | undefined;
      let ended = false;
      /** The previous DATA chunk's model: a compact DATA chunk without one has it (docs/mcp-wire.md §4.8). */
      let model = "";
      /** The batched DATA payload being read, the offset of its next entry, and how many entries are left. */
      let batch: Uint8Array = NO_BYTES;
      let batchPos = 0;
      let batchLeft = 0;
      /** The next entry of the batch as a chunk (the decoder checked the payload's entries); throws on a bad one. */
      const entry = (): IteratorResult<MessageShape<S>> => {
        const b = batch;
        const start = readEntry(b, batchPos);
        const end = entryEnd();
        batchPos = end;
        if (--batchLeft === 0) batch = NO_BYTES;
        const msg = decodeData?.(b, start, end) ?? fromBinary(schema, b.subarray(start, end));
        const m = msg as { model?: string };
        if (m.model === "") m.model = model;
        model = m.model ?? "";
        return { done: false, value: msg };
      };
      /** Ends the call on a failure (cancelling its stream) and returns the error to reject with. */
      const failure = (e: unknown): ModelwireError => {
        call?.finish(true);
        ended = true;
        return ModelwireError.from(e, Code.Unknown);
      };
      /** A delivered frame (`undefined`: the stream ended) as the iterator's result; throws on a bad payload. */
      const result = (f: Frame | undefined): IteratorResult<MessageShape<S>> => {
        if (f === undefined) {
          ended = true;
          call?.finish(false);
          return DONE;
        }
        if (f.batch !== undefined) {
          batch = f.payload;
          batchPos = 0;
          batchLeft = f.batch;
          return entry();
        }
        const msg =
          (f.type === FrameType.Data ? decodeData?.(f.payload) : decodeEnd?.(f.payload)) ??
          fromBinary(schema, f.payload);
        if (f.type === FrameType.Data) {
          const m = msg as { model?: string };
          if (f.compact === true && m.model === "") m.model = model;
          model = m.model ?? "";
        } else call?.finish(false);
        return { done: false, value: msg };
      };
      const pull = (stream: ClientStream): Promise<IteratorResult<MessageShape<S>>> => {
        const f = stream.take();
        if (f !== undefined) {
          try {
            return Promise.resolve(result(f));
          } catch (e) {
            return Promise.reject(failure(e));
          }
        }
        return new Promise((resolve, reject) =>
          stream.wait(
            (g) => {
              try {
                resolve(result(g));
              } catch (e) {
                // Delivered inside the connection's frame loop: the cancel that follows waits for the next tick.
                queueMicrotask(() => reject(failure(e)));
              }
            },
            (e) => queueMicrotask(() => reject(failure(e))),
          ),
        );
      };
      const first = async (): Promise<IteratorResult<MessageShape<S>>> => {
        try {
          if (!call) {
            call = new Call(options);
            if (call.signal.aborted) throw abortReason(call.signal);
            const started = start(call, method, dataType, body());
            if (started instanceof Promise) await started;
          }
        } catch (e) {
          throw failure(e);
        }
        return pull(call.stream as ClientStream);
      };
      return {
        next: (): Promise<IteratorResult<MessageShape<S>>> => {
          if (ended) return Promise.resolve(DONE);
          if (batchLeft > 0) {
            try {
              return Promise.resolve(entry());
            } catch (e) {
              return Promise.reject(failure(e));
            }
          }
          const stream = call?.stream;
          return stream === undefined ? first() : pull(stream);
        },
        return: async (): Promise<IteratorResult<MessageShape<S>>> => {
          ended = true;
          call?.finish(true);
          return DONE;
        },
      };
    },
  };
}

/** A unary call: one END frame is the reply; anything else is `Internal`, a failure a ModelwireError. */
export async function unaryCall<S extends DescMessage>(
  start: StartCall,
  method: Method,
  dataType: DataType,
  body: RequestBody,
  schema: S,
  options: CallOptions | undefined,
): Promise<MessageShape<S>> {
  const call = new Call(options);
  try {
    if (call.signal.aborted) throw abortReason(call.signal);
    const stream = await start(call, method, dataType, body);
    const f = await stream.next();
    if (!f || f.type !== FrameType.End) {
      throw new ModelwireError(`unexpected ${f ? "DATA" : "end"} on a unary ${Method[method]} stream`, Code.Internal);
    }
    call.finish(false);
    return fromBinary(schema, f.payload);
  } catch (e) {
    call.finish(true);
    throw ModelwireError.from(e, Code.Unknown);
  }
}
