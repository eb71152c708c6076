import { createConnection, type Socket } from "node:net";
import { Code, type ModelwireError } from "@modelwire/core";
import {
  createFrameDecoder,
  decodeErrorPayload,
  type ErrorPayload,
  encodeFrame,
  encodeHello,
  type Frame,
  FrameType,
} from "@modelwire/mcp-codec";
import type { Cleanups } from "./harness.js";

/** A hand-driven MCP client socket for protocol tests: write raw bytes, collect decoded frames. */
export interface RawPeer {
  socket: Socket;
  frames: Frame[];
  /** Resolves when the server closed the socket. */
  closed: Promise<void>;
  write(bytes: Uint8Array): void;
  /** Waits until a frame matching `pred` has arrived (or rejects after `ms`). */
  waitFor(pred: (f: Frame) => boolean, ms?: number): Promise<Frame>;
  /** The first connection-level ERROR received, decoded. */
  connectionError(): ErrorPayload | undefined;
  decodeError: ModelwireError | undefined;
}

/**
 * The bytes of a HELLO frame with no token (or with `token`), `extra` metadata (e.g. `features`) and the proposed
 * heartbeat (0: the server's choice).
 */
export function helloBytes(token?: string, extra: Record<string, string> = {}, heartbeatMs = 0): Uint8Array {
  return encodeFrame({
    type: FrameType.Hello,
    streamId: 0,
    payload: encodeHello({
      minVersion: 1,
      maxVersion: 1,
      maxFrameSize: 1 << 20,
      maxStreams: 0,
      heartbeatMs,
      metadata: token === undefined ? { ...extra } : { "auth-token": token, ...extra },
    }),
  });
}

/** Connects to 127.0.0.1:port. */
export async function connectRaw(port: number): Promise<RawPeer> {
  const socket = createConnection({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const decoder = createFrameDecoder({ maxFrameSize: 1 << 22 });
  const frames: Frame[] = [];
  let listeners: (() => void)[] = [];
  const peer: RawPeer = {
    socket,
    frames,
    decodeError: undefined,
    closed: new Promise<void>((r) => socket.once("close", () => r())),
    write: (b) => socket.write(b),
    waitFor(pred, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const f = frames.find(pred);
          if (f) {
            clearTimeout(timer);
            listeners = listeners.filter((l) => l !== check);
            resolve(f);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => reject(new Error("timed out waiting for a frame")), ms);
        if (!check()) listeners.push(check);
      });
    },
    connectionError() {
      const f = frames.find((x) => x.type === FrameType.Error && x.streamId === 0);
      return f ? decodeErrorPayload(f.payload) : undefined;
    },
  };
  socket.on("error", () => {});
  socket.on("data", (d) => {
    try {
      decoder.push(d);
      for (const f of decoder) frames.push({ ...f, payload: Uint8Array.from(f.payload) });
    } catch (e) {
      peer.decodeError = e as ModelwireError;
    }
    for (const l of [...listeners]) l();
  });
  return peer;
}

export { Code };

/**
 * A raw socket to the server at `url` (`tcp://host:port`) that keeps every byte it receives undecoded — for tests
 * that read the server's bytes with a parser of their own (a peer written from the spec). Destroyed by `cleanups`.
 * `wait(n)` resolves once `n` bytes have arrived (or after 10 s without enough).
 */
export async function rawBytesPeer(url: string, cleanups: Cleanups) {
  const peer = await connectRaw(Number(new URL(url.replace("tcp://", "http://")).port));
  cleanups.push(() => {
    peer.socket.destroy();
  });
  const chunks: Buffer[] = [];
  let waiter: (() => void) | undefined;
  peer.socket.on("data", (d: Buffer) => {
    chunks.push(d);
    waiter?.();
  });
  const received = () => Buffer.concat(chunks);
  const wait = async (n: number) => {
    const end = Date.now() + 10_000;
    while (received().length < n && Date.now() < end) await new Promise<void>((r) => (waiter = r));
  };
  return { socket: peer.socket, received, wait };
}
