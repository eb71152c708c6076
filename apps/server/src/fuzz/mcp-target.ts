import { readFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { HangWatch } from "./hang-watch.js";
import { createRng, mutate, type Rng, randomBytes } from "./mutate.js";
import type { Outcome } from "./tally.js";

/** Every byte sequence in the committed MCP vectors (`packages/mcp-codec/vectors/*.json`), valid and invalid. */
export function mcpSeeds(): Uint8Array[] {
  const dir = fileURLToPath(new URL("../../../../packages/mcp-codec/vectors", import.meta.url));
  const seeds: Uint8Array[] = [];
  for (const file of ["frames", "errors", "session", "server"]) {
    const doc = JSON.parse(readFileSync(join(dir, `${file}.json`), "utf8")) as { vectors: Record<string, unknown>[] };
    for (const v of doc.vectors) {
      for (const key of ["hex", "clientHex"]) {
        const hex = v[key];
        if (typeof hex === "string" && /^([0-9a-f]{2})*$/i.test(hex)) seeds.push(Buffer.from(hex, "hex"));
      }
    }
  }
  return seeds;
}

/** One MCP input: the bytes, and whether they are sent after a valid HELLO (the states after the handshake). */
export interface McpInput {
  bytes: Uint8Array;
  afterHello: boolean;
}

/** Frame header size and the offset of its u32 payload length (docs/mcp-wire.md §2). */
const HEADER = 20;
const LENGTH_OFFSET = 16;
/** Frame type byte of PING and its ACK flag (docs/mcp-wire.md §3). */
const PING = 0x08;
const ACK = 0x01;
/** The first four payload bytes of the campaign's PINGs ("FUZZ"), so an input's own PING is not taken for one. */
const TAG = 0x46555a5a;

/** Frame types a client sends after the handshake (docs/mcp-wire.md §3): OPEN, ERROR, CANCEL, PING. */
const CLIENT_TYPES = new Set([0x03, 0x06, 0x07, 0x08]);

/** Every whole frame of a client type in the vectors, once each (the seeds of the payload mutations). */
export function clientFrames(seeds: readonly Uint8Array[]): Uint8Array[] {
  const out = new Map<string, Uint8Array>();
  for (const b of seeds) {
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let at = 0; b.length - at >= HEADER; ) {
      const end = at + HEADER + view.getUint32(at + LENGTH_OFFSET);
      if (end > b.length) break;
      if (view.getUint16(at) === 0x4d43 && CLIENT_TYPES.has(b[at + 3])) {
        const f = b.subarray(at, end);
        out.set(Buffer.from(f).toString("hex"), f);
      }
      at = end;
    }
  }
  return [...out.values()];
}

/** OPEN's payload prefix: method, reserved, timeoutMs (docs/mcp-wire.md §4.3); the request body follows. */
const OPEN_PREFIX = 8;

/** An OPEN whose header and prefix are valid (the error vectors hold OPENs that are not): its body is the seed. */
function validOpen(f: Uint8Array): boolean {
  const reservedZero =
    f[4] === 0 && f[6] === 0 && f[7] === 0 && f[HEADER + 1] === 0 && f[HEADER + 2] === 0 && f[HEADER + 3] === 0;
  const method = f[HEADER];
  return f[3] === 0x03 && f.length >= HEADER + OPEN_PREFIX && reservedZero && f[5] <= 6 && method >= 1 && method <= 7;
}

/**
 * `frame` with the bytes from `keep` on of its payload mutated and the header's length set to the new payload's.
 * With `keep` = 0 the whole payload is mutated; an OPEN keeps its prefix (`keep` = 8) so that only its request body
 * is, which the server judges per stream: the session survives a bad body.
 */
function mutatePayload(rng: Rng, frame: Uint8Array, keep: number): Uint8Array {
  const head = HEADER + keep;
  const rest = mutate(rng, frame.subarray(head));
  const out = new Uint8Array(head + rest.length);
  out.set(frame.subarray(0, head));
  out.set(rest, head);
  new DataView(out.buffer).setUint32(LENGTH_OFFSET, keep + rest.length);
  return out;
}

/**
 * MCP inputs, in turn: random bytes; a mutated vector; after a valid HELLO (the states after the handshake) a
 * mutated vector and two mutated vectors in a row; a vector truncated at every offset in turn; a vector with a huge
 * payload length; after a HELLO, a client frame (OPEN, ERROR, CANCEL, PING from the vectors) with a valid header
 * and a mutated payload. Most of these end their connection (a frame-level error is fatal).
 */
export function createMcpInputs(seed: number): (i: number) => McpInput {
  const seeds = mcpSeeds();
  const frames = clientFrames(seeds);
  const rng: Rng = createRng(seed);
  let truncSeed = 0;
  let truncAt = 0;
  return (i) => {
    switch (i % 7) {
      case 0:
        return { bytes: randomBytes(rng, rng.int(rng.next() < 0.5 ? 40 : 400)), afterHello: false };
      case 1:
        return { bytes: mutate(rng, rng.pick(seeds)), afterHello: false };
      case 2:
        return { bytes: mutate(rng, rng.pick(seeds)), afterHello: true };
      case 3:
        return { bytes: Buffer.concat([mutate(rng, rng.pick(seeds)), mutate(rng, rng.pick(seeds))]), afterHello: true };
      case 4: {
        const s = seeds[truncSeed % seeds.length];
        const out = s.subarray(0, truncAt);
        if (++truncAt > s.length) {
          truncAt = 0;
          truncSeed++;
        }
        return { bytes: out, afterHello: false };
      }
      case 5: {
        const s = Uint8Array.from(rng.pick(seeds));
        if (s.length >= LENGTH_OFFSET + 4) {
          new DataView(s.buffer).setUint32(LENGTH_OFFSET, rng.pick([0xffffffff, 0x00ffffff, 4 * 1024 * 1024 + 1]));
        }
        return { bytes: s, afterHello: false };
      }
      default:
        return { bytes: mutatePayload(rng, rng.pick(frames), 0), afterHello: true };
    }
  };
}

/**
 * MCP OPEN inputs: an OPEN of the vectors with a valid header and prefix and a mutated request body, now and then
 * with another data type in its header — the request decoders, which judge a bad body per stream, so the session
 * survives and these share kept sessions (the cheapest MCP inputs to send).
 */
export function createMcpOpenInputs(seed: number): (i: number) => McpInput {
  const opens = clientFrames(mcpSeeds()).filter(validOpen);
  const rng: Rng = createRng(seed);
  return () => {
    const bytes = mutatePayload(rng, rng.pick(opens), OPEN_PREFIX);
    if (rng.next() < 0.1) bytes[5] = rng.int(7);
    return { bytes, afterHello: true };
  };
}

/**
 * A copy of whole frames `b` with each OPEN's stream id (one that is valid: not 0, top bit clear) replaced by the
 * session's next one, so that on a session kept across inputs an OPEN is judged on what was mutated rather than
 * refused as a reused id (`stream_id_reused`, which inputs on a fresh connection still reach).
 */
function renumberOpens(b: Uint8Array, nextId: () => number): Uint8Array {
  const out = Uint8Array.from(b);
  const view = new DataView(out.buffer);
  for (let at = 0; out.length - at >= HEADER; at += HEADER + view.getUint32(at + LENGTH_OFFSET)) {
    const id = view.getUint32(at + 8);
    if (out[at + 3] === 0x03 && id !== 0 && id < 0x80000000) view.setUint32(at + 8, nextId());
  }
  return out;
}

/**
 * Whether `b` is a whole number of frames by their headers' length fields. The server validates each header before
 * its payload and reads exactly `length` payload bytes, so after such bytes it either has closed the connection or
 * reads the next bytes as a new frame: a PING sent next is answered if and only if the input left the session up.
 */
export function wholeFrames(b: Uint8Array): boolean {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = 0;
  while (b.length - at >= HEADER) at += HEADER + view.getUint32(at + LENGTH_OFFSET);
  return at === b.length;
}

/** A PING frame carrying `nonce` in its last four payload bytes. */
function ping(nonce: number): Buffer {
  const f = Buffer.alloc(HEADER + 8);
  f.writeUInt16BE(0x4d43, 0);
  f[2] = 1;
  f[3] = PING;
  f.writeUInt32BE(8, LENGTH_OFFSET);
  f.writeUInt32BE(TAG, HEADER);
  f.writeUInt32BE(nonce >>> 0, HEADER + 4);
  return f;
}

/** Sends MCP inputs to one listener. */
export interface McpSender {
  send(input: McpInput, hang: HangWatch): Promise<Outcome>;
  /** Connections opened so far (a kept session counts once, however many inputs it carried). */
  readonly connections: number;
  close(): void;
}

/** A session after a HELLO that carries one input at a time, each followed by a PING. */
interface Session {
  socket: net.Socket;
  /** Called with true on the PING's ACK, false when the connection closed. */
  waiting: ((acked: boolean) => void) | undefined;
  nonce: number;
  used: number;
  /** The last stream id an OPEN of this session carried. */
  streamId: number;
  closed: boolean;
}

/** Inputs one session carries before it is replaced (it may have accumulated streams). */
const INPUTS_PER_SESSION = 200;

/**
 * Creates the MCP sender. An input that is a whole number of frames after the handshake goes on a session kept
 * open across inputs (several frames per connection, as the protocol allows): written with a PING behind it, it is
 * answered when the ACK comes back (the session survived it) or the server closes the connection (the input was
 * fatal; the next input opens a new session). Every other input — before the handshake, or a frame left
 * incomplete — goes on a connection of its own whose side is then ended: the server must close it (after whatever
 * it answers) within the hang limit. OPENs on a session get the session's next stream id.
 */
export function createMcpSender(port: number, hello: Uint8Array): McpSender {
  const idle: Session[] = [];
  const all = new Set<Session>();
  let connections = 0;
  const open = (): Session => {
    connections++;
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    const s: Session = { socket, waiting: undefined, nonce: 0, used: 0, streamId: -1, closed: false };
    all.add(s);
    let pending: Buffer | undefined;
    socket.on("data", (d: Buffer) => {
      let b = pending ? Buffer.concat([pending, d]) : d;
      let at = 0;
      while (b.length - at >= HEADER) {
        const len = b.readUInt32BE(at + LENGTH_OFFSET);
        if (b.length - at < HEADER + len) break;
        const acked =
          b[at + 3] === PING &&
          b[at + 4] === ACK &&
          len === 8 &&
          b.readUInt32BE(at + HEADER) === TAG &&
          b.readUInt32BE(at + HEADER + 4) === s.nonce;
        if (acked) {
          const w = s.waiting;
          s.waiting = undefined;
          w?.(true);
        }
        at += HEADER + len;
      }
      b = b.subarray(at);
      pending = b.length > 0 ? Buffer.from(b) : undefined;
    });
    const gone = () => {
      if (s.closed) return;
      s.closed = true;
      all.delete(s);
      const w = s.waiting;
      s.waiting = undefined;
      w?.(false);
    };
    socket.on("error", gone);
    socket.on("close", gone);
    socket.write(hello);
    return s;
  };
  const retire = (s: Session) => {
    s.closed = true;
    all.delete(s);
    s.socket.destroy();
  };
  const onSession = (input: McpInput, hang: HangWatch): Promise<Outcome> => {
    let s = idle.pop();
    while (s?.closed) s = idle.pop();
    const session = s ?? open();
    return new Promise((resolve) => {
      session.nonce++;
      session.used++;
      const stop = hang.watch(() => {
        session.waiting = undefined;
        retire(session);
        resolve({ kind: "hang" });
      });
      session.waiting = (acked) => {
        stop();
        if (acked && session.used < INPUTS_PER_SESSION) idle.push(session);
        else if (acked) retire(session);
        resolve({ kind: "answered" });
      };
      const bytes = renumberOpens(input.bytes, () => (session.streamId += 2));
      session.socket.write(Buffer.concat([bytes, ping(session.nonce)]));
    });
  };
  const alone = (input: McpInput, hang: HangWatch): Promise<Outcome> =>
    new Promise((resolve) => {
      connections++;
      const s = net.connect(port, "127.0.0.1");
      let connected = false;
      let done = false;
      const finish = (o: Outcome) => {
        if (done) return;
        done = true;
        stop();
        s.destroy();
        resolve(o);
      };
      const stop = hang.watch(() => finish({ kind: "hang" }));
      // An error before the connection is up (e.g. no local port left) means the input was never sent.
      s.on("connect", () => (connected = true));
      s.on("error", () => finish(connected ? { kind: "answered" } : { kind: "unsent" }));
      // The server's FIN is its answer (after whatever it wrote): no need to wait for the sockets to be torn down.
      s.on("end", () => finish({ kind: "answered" }));
      s.on("close", () => finish(connected ? { kind: "answered" } : { kind: "unsent" }));
      s.resume();
      // Written and ended at once: the socket sends it as soon as it is connected.
      s.end(input.afterHello ? Buffer.concat([hello, input.bytes]) : input.bytes);
    });
  return {
    send: (input, hang) => (input.afterHello && wholeFrames(input.bytes) ? onSession(input, hang) : alone(input, hang)),
    get connections() {
      return connections;
    },
    close() {
      for (const s of [...all]) retire(s);
      idle.length = 0;
    },
  };
}
