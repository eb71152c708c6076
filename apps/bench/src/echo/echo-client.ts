import { connect, type Socket } from "node:net";
import {
  type CallOptions,
  Code,
  createCallSignal,
  type GenerateRequestInit,
  type GenerateResponse,
  type InferenceClient,
  ModelwireError,
  newGenerateResponse,
} from "@modelwire/core";
import { createFrameDecoder, createTickWriter, encodeFrame, encodeRequest, FrameType } from "./frame.js";

interface PendingStream {
  push(item: GenerateResponse | ModelwireError): void;
}

/**
 * The raw TCP echo floor's client: an {@link InferenceClient} whose `generate` multiplexes streams over
 * `connections` sockets (round robin) with the bare framing of {@link encodeFrame}. Only `generate` is supported.
 */
export function createEchoClient(opts: { url: string; connections?: number; model?: string }): InferenceClient {
  const m = /^tcp:\/\/([^:/]+):(\d+)$/.exec(opts.url);
  if (!m) throw new ModelwireError(`echo url must be tcp://host:port, got ${opts.url}`, Code.InvalidArgument);
  const [, host, port] = m;
  let opened = 0;
  const conns: Array<{
    socket: Socket;
    write: (b: Buffer) => void;
    ready: Promise<void>;
    streams: Map<number, PendingStream>;
  }> = [];
  let nextId = 1;
  let rr = 0;
  let active = 0;
  let closed = false;

  const open = () => {
    const socket = connect({ host, port: Number(port), noDelay: true });
    const streams = new Map<number, PendingStream>();
    const ready = new Promise<void>((resolve, reject) => {
      socket.once("connect", () => {
        opened++;
        resolve();
      });
      socket.once("error", reject);
    });
    ready.catch(() => {});
    const decode = createFrameDecoder();
    socket.on("data", (chunk: Buffer) => {
      let frames: ReturnType<typeof decode>;
      try {
        frames = decode(chunk);
      } catch (e) {
        socket.destroy(e as Error);
        return;
      }
      for (const f of frames) {
        const s = streams.get(f.streamId);
        if (!s) continue;
        // The chunk objects are built as the MCP client's decoder builds them (newGenerateResponse, not
        // protobuf-es `create`, which costs the floor more per token than the wire under test pays).
        if (f.type === FrameType.Token) {
          s.push(newGenerateResponse({ response: f.payload.toString("utf8") }));
        } else if (f.type === FrameType.Done) {
          streams.delete(f.streamId);
          s.push(newGenerateResponse({ done: true, doneReason: "stop" }));
        } else if (f.type === FrameType.Error) {
          streams.delete(f.streamId);
          const e = JSON.parse(f.payload.toString("utf8")) as { code: number; message: string };
          s.push(new ModelwireError(e.message, e.code as Code));
        }
      }
    });
    const fail = (why: string) => {
      for (const s of streams.values()) s.push(new ModelwireError(why, Code.Unavailable));
      streams.clear();
    };
    socket.on("error", (e) => fail(`echo connection failed: ${e.message}`));
    socket.on("close", () => fail("echo connection closed"));
    const c = { socket, write: createTickWriter(socket), ready, streams };
    conns.push(c);
    return c;
  };
  const pick = () => {
    const want = Math.max(1, opts.connections ?? 1);
    if (conns.length < want) return open();
    const c = conns[rr++ % conns.length];
    if (c.socket.destroyed) {
      conns.splice(conns.indexOf(c), 1);
      return open();
    }
    return c;
  };

  async function* generate(request: GenerateRequestInit, options?: CallOptions): AsyncGenerator<GenerateResponse> {
    if (closed) throw new ModelwireError("client closed", Code.Canceled);
    const call = createCallSignal(options);
    const conn = pick();
    const id = nextId++;
    const queue: Array<GenerateResponse | ModelwireError> = [];
    let wake: (() => void) | undefined;
    const push = (item: GenerateResponse | ModelwireError) => {
      queue.push(item);
      const w = wake;
      wake = undefined;
      w?.();
    };
    conn.streams.set(id, { push });
    const onAbort = () => {
      if (conn.streams.delete(id) && !conn.socket.destroyed) conn.write(encodeFrame(id, FrameType.Cancel));
      push(call.signal.reason as ModelwireError);
    };
    call.signal.addEventListener("abort", onAbort, { once: true });
    active++;
    let finished = false;
    try {
      await conn.ready.catch((e: Error) => {
        throw new ModelwireError(`cannot connect to ${opts.url}: ${e.message}`, Code.Unavailable);
      });
      const numPredict = request.options?.numPredict;
      conn.write(
        encodeFrame(
          id,
          FrameType.Request,
          encodeRequest(request.model ?? opts.model ?? "", request.prompt ?? "", numPredict, request.images),
        ),
      );
      for (;;) {
        if (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const item = queue.shift()!;
        if (item instanceof ModelwireError) throw item;
        yield item;
        if (item.done) {
          finished = true;
          return;
        }
      }
    } finally {
      active--;
      call.signal.removeEventListener("abort", onAbort);
      call.dispose();
      if (!finished && conn.streams.delete(id) && !conn.socket.destroyed) conn.write(encodeFrame(id, FrameType.Cancel));
    }
  }

  const unsupported = async (): Promise<never> => {
    throw new ModelwireError("the echo floor supports generate only", Code.Unimplemented);
  };
  return {
    transport: "echo",
    generate,
    chat: () => {
      throw new ModelwireError("the echo floor supports generate only", Code.Unimplemented);
    },
    embed: unsupported,
    list: unsupported,
    running: unsupported,
    show: unsupported,
    version: unsupported,
    stats: () => ({
      transport: "echo",
      open: conns.length,
      active,
      idle: active === 0 ? conns.length : 0,
      queued: 0,
      opened,
    }),
    async close() {
      closed = true;
      for (const c of conns) c.socket.destroy();
      conns.length = 0;
    },
  };
}
