import { createServer, type Socket } from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, GenerateRequestSchema, type ListenAddress, ModelwireError, type ServerStats } from "@modelwire/core";
import type { Engine } from "@modelwire/engine";
import { createFrameDecoder, createTickWriter, decodeRequest, encodeFrame, FrameType } from "./frame.js";

/** The raw TCP echo floor's server: streams the engine's tokens as bare frames, nothing else. */
export interface EchoServer {
  listen(): Promise<ListenAddress[]>;
  close(): Promise<void>;
  stats(): ServerStats;
}

/** Creates the echo floor server on `host:port` (port 0 = any), serving `engine`'s generate streams. */
export function createEchoServer(opts: { engine: Engine; host?: string; port?: number }): EchoServer {
  const host = opts.host ?? "127.0.0.1";
  const stats: ServerStats = { connections: 0, inFlight: 0, bytesIn: 0, bytesOut: 0 };
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    stats.connections++;
    const decode = createFrameDecoder();
    const streams = new Map<number, AbortController>();
    const write = createTickWriter(socket, (n) => {
      stats.bytesOut += n;
    });
    socket.on("data", (chunk: Buffer) => {
      stats.bytesIn += chunk.length;
      let frames: ReturnType<typeof decode>;
      try {
        frames = decode(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (f.type === FrameType.Cancel) streams.get(f.streamId)?.abort(new ModelwireError("canceled", Code.Canceled));
        else if (f.type === FrameType.Request) void serve(f.streamId, f.payload);
      }
    });
    const serve = async (id: number, payload: Buffer) => {
      const ac = new AbortController();
      streams.set(id, ac);
      stats.inFlight++;
      try {
        const body = decodeRequest(payload);
        const req = create(GenerateRequestSchema, {
          model: body.model,
          prompt: body.prompt,
          options: body.numPredict !== undefined ? { numPredict: body.numPredict } : undefined,
        });
        for await (const c of opts.engine.generate(req, { signal: ac.signal })) {
          if (socket.destroyed) throw new ModelwireError("client gone", Code.Canceled);
          if (c.done) write(encodeFrame(id, FrameType.Done));
          else write(encodeFrame(id, FrameType.Token, c.response));
        }
      } catch (e) {
        const err = ModelwireError.from(e, Code.InvalidArgument);
        if (!socket.destroyed)
          write(encodeFrame(id, FrameType.Error, JSON.stringify({ code: err.code, message: err.message })));
      } finally {
        stats.inFlight--;
        streams.delete(id);
      }
    };
    const cleanup = () => {
      if (!sockets.delete(socket)) return;
      stats.connections--;
      for (const ac of streams.values()) ac.abort(new ModelwireError("client gone", Code.Canceled));
    };
    socket.on("close", cleanup);
    socket.on("error", cleanup);
  });
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(opts.port ?? 0, host, () => {
          const a = server.address();
          const port = typeof a === "object" && a ? a.port : 0;
          resolve([{ protocol: "echo", url: `tcp://${host}:${port}` }]);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
    stats: () => ({ ...stats }),
  };
}
