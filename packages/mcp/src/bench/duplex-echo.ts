import type { Duplex } from "node:stream";

/**
 * The length-prefixed echo of echo.ts, generalised to any Duplex (a net.Socket, an HTTP/2 stream, ...), so one
 * server and one client logic can be carried over different transports and only the carrier differs.
 *
 * Messages are a 4-byte big-endian body length, then the body. For every request message the responder writes
 * `replySizes.length` reply messages whose total sizes (prefix included) are `replySizes`, their bodies the
 * request's body repeated; it writes once per `data` event (all replies that event produced). The client side
 * checks every reply (length and bytes) and fails the run on anything missing, extra or malformed.
 */

/** Largest echo message accepted by either side (the echo is a benchmark peer, not a general server). */
export const MAX_ECHO_MESSAGE = 1 << 20;

/** How long a run may go without a completed request before it fails (a lost reply must not hang the bench). */
const STALL_MS = 10_000;

/** Validates the sizes shared by both sides; every message needs at least its 4-byte prefix. */
function checkSizes(requestSize: number, replySizes: readonly number[]): void {
  for (const s of [requestSize, ...replySizes]) {
    if (!Number.isInteger(s) || s < 4 || s - 4 > MAX_ECHO_MESSAGE) throw new RangeError(`bad echo message size ${s}`);
  }
  if (replySizes.length === 0) throw new RangeError("an echo request needs at least one reply");
}

/** Writes the reply messages for one request body at `out[w]`; returns the new write offset. */
function writeReplies(out: Buffer, w: number, body: Buffer, replySizes: readonly number[]): number {
  for (const size of replySizes) {
    const bodyLen = size - 4;
    out.writeUInt32BE(bodyLen, w);
    w += 4;
    let filled = 0;
    while (filled < bodyLen) {
      const take = Math.min(bodyLen - filled, body.length || bodyLen);
      if (body.length === 0) out.fill(0, w, w + take);
      else body.copy(out, w, 0, take);
      w += take;
      filled += take;
    }
  }
  return w;
}

/**
 * Makes `stream` an echo server endpoint: each request message read from it is answered with reply messages of
 * `replySizes` bytes, one write per `data` event; `beforeFirstWrite` (e.g. sending HTTP/2 response headers) runs
 * just before the first reply is written. A message longer than {@link MAX_ECHO_MESSAGE} destroys the
 * stream with an error (the peer then fails loudly).
 */
export function attachEchoResponder(
  stream: Duplex,
  replySizes: readonly number[],
  beforeFirstWrite?: () => void,
): void {
  checkSizes(4, replySizes);
  let first = beforeFirstWrite;
  const replyTotal = replySizes.reduce((a, b) => a + b, 0);
  let rest: Buffer | undefined;
  stream.on("data", (d: Buffer) => {
    const buf = rest ? Buffer.concat([rest, d]) : d;
    rest = undefined;
    // First pass: count whole requests, so the reply batch is allocated once.
    let o = 0;
    let n = 0;
    while (buf.length - o >= 4) {
      const len = buf.readUInt32BE(o);
      if (len > MAX_ECHO_MESSAGE) {
        stream.destroy(new Error(`echo request of ${len} B exceeds ${MAX_ECHO_MESSAGE} B`));
        return;
      }
      if (buf.length - o < 4 + len) break;
      o += 4 + len;
      n++;
    }
    if (o < buf.length) rest = Buffer.from(buf.subarray(o));
    if (n === 0) return;
    const out = Buffer.allocUnsafe(n * replyTotal);
    let w = 0;
    let r = 0;
    for (let i = 0; i < n; i++) {
      const len = buf.readUInt32BE(r);
      w = writeReplies(out, w, buf.subarray(r + 4, r + 4 + len), replySizes);
      r += 4 + len;
    }
    if (first) {
      first();
      first = undefined;
    }
    stream.write(out);
  });
}

/** The request message every echo client sends: `requestSize` bytes, prefix included, a non-constant body. */
export function echoRequest(requestSize: number): Buffer {
  const b = Buffer.allocUnsafe(requestSize);
  b.writeUInt32BE(requestSize - 4, 0);
  for (let i = 4; i < requestSize; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

/** Parses and checks the reply messages of a sequence of echo requests. */
export interface ReplyChecker {
  /** Consumes a chunk; returns how many requests it completed. Throws on a malformed or unexpected reply. */
  feed(chunk: Buffer): number;
  /** True when no partial message or partial reply set is pending. */
  readonly idle: boolean;
}

/** Creates a {@link ReplyChecker} for requests of `requestSize` bytes answered with messages of `replySizes`. */
export function createReplyChecker(requestSize: number, replySizes: readonly number[]): ReplyChecker {
  checkSizes(requestSize, replySizes);
  const request = echoRequest(requestSize);
  const total = replySizes.reduce((a, b) => a + b, 0);
  const expected = Buffer.allocUnsafe(total);
  writeReplies(expected, 0, request.subarray(4), replySizes);
  const bodies: Buffer[] = [];
  let at = 0;
  for (const s of replySizes) {
    bodies.push(expected.subarray(at + 4, at + s));
    at += s;
  }
  let rest: Buffer | undefined;
  let index = 0;
  return {
    feed(d) {
      const buf = rest ? Buffer.concat([rest, d]) : d;
      rest = undefined;
      let o = 0;
      let completed = 0;
      while (buf.length - o >= 4) {
        const len = buf.readUInt32BE(o);
        const want = bodies[index];
        if (len !== want.length) throw new Error(`echo reply ${index} has length ${len}, expected ${want.length}`);
        if (buf.length - o < 4 + len) break;
        if (!want.equals(buf.subarray(o + 4, o + 4 + len))) throw new Error(`echo reply ${index} has wrong bytes`);
        o += 4 + len;
        if (++index === bodies.length) {
          index = 0;
          completed++;
        }
      }
      if (o < buf.length) rest = Buffer.from(buf.subarray(o));
      return completed;
    },
    get idle() {
      return rest === undefined && index === 0;
    },
  };
}

/** Drives echo requests and counts completed ones; every run is bounded in time. */
export interface EchoDriver {
  /**
   * Keeps `inFlight` requests outstanding for `ms`, then lets them finish; resolves with the requests completed.
   * Rejects if a reply is malformed, missing (no progress for 10 s), unexpected, or the carrier fails.
   */
  run(inFlight: number, ms: number): Promise<number>;
  close(): void;
}

/** Shared bookkeeping of a bounded run: completion, stop time, stall watchdog, single settle. */
function boundedRun(
  inFlight: number,
  ms: number,
  send: (n: number) => void,
): { promise: Promise<number>; complete(n: number): void; fail(e: unknown): void } {
  let resolve!: (n: number) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<number>((r, j) => {
    resolve = r;
    reject = j;
  });
  let done = 0;
  let outstanding = inFlight;
  let stop = false;
  let settled = false;
  let last = done;
  const end = performance.now() + ms;
  const watchdog = setInterval(() => {
    if (done === last) fail(new Error(`echo run stalled: no reply for ${STALL_MS} ms (${outstanding} outstanding)`));
    last = done;
  }, STALL_MS);
  const finish = () => {
    settled = true;
    clearInterval(watchdog);
  };
  function fail(e: unknown) {
    if (settled) return;
    finish();
    reject(e);
  }
  return {
    promise,
    complete(n) {
      if (settled) return;
      if (n > outstanding) return fail(new Error(`${n} echo replies completed with ${outstanding} outstanding`));
      outstanding -= n;
      done += n;
      if (!stop && performance.now() >= end) stop = true;
      if (!stop) {
        outstanding += n;
        send(n);
      } else if (outstanding === 0) {
        finish();
        resolve(done);
      }
    },
    fail,
  };
}

/**
 * An echo client on one long-lived Duplex: requests of `requestSize` bytes are pipelined on it (all the requests a
 * `data` event completes are replaced in one write), replies checked in order.
 */
export function createStreamEchoDriver(stream: Duplex, requestSize: number, replySizes: readonly number[]): EchoDriver {
  const checker = createReplyChecker(requestSize, replySizes);
  const template = echoRequest(requestSize);
  let current: ReturnType<typeof boundedRun> | undefined;
  let broken: Error | undefined;
  const breakWith = (e: Error) => {
    broken ??= e;
    current?.fail(broken);
  };
  stream.on("error", (e: Error) => breakWith(e));
  stream.on("close", () => breakWith(new Error("echo carrier closed")));
  stream.on("end", () => breakWith(new Error("echo carrier ended by the server")));
  stream.on("data", (d: Buffer) => {
    let completed: number;
    try {
      completed = checker.feed(d);
    } catch (e) {
      breakWith(e as Error);
      stream.destroy();
      return;
    }
    if (completed === 0) return;
    if (!current) breakWith(new Error(`${completed} echo replies arrived outside a run`));
    else current.complete(completed);
  });
  const send = (n: number) => {
    const out = Buffer.allocUnsafe(n * requestSize);
    for (let i = 0; i < n; i++) template.copy(out, i * requestSize);
    stream.write(out);
  };
  return {
    async run(inFlight, ms) {
      if (broken) throw broken;
      if (current) throw new Error("echo run already in progress");
      current = boundedRun(inFlight, ms, send);
      send(inFlight);
      try {
        return await current.promise;
      } finally {
        current = undefined;
      }
    },
    close: () => stream.destroy(),
  };
}

/**
 * An echo client opening one Duplex per request (`open()`, e.g. a new HTTP/2 stream): it writes the request and
 * ends its side, and the request completes when the peer ends the Duplex after exactly one reply set.
 */
export function createPerRequestEchoDriver(
  open: () => Duplex,
  requestSize: number,
  replySizes: readonly number[],
): EchoDriver {
  const template = echoRequest(requestSize);
  createReplyChecker(requestSize, replySizes); // validates the sizes up front
  const live = new Set<Duplex>();
  let current: ReturnType<typeof boundedRun> | undefined;
  const one = () => {
    const run = current;
    const checker = createReplyChecker(requestSize, replySizes);
    const d = open();
    live.add(d);
    let completed = 0;
    let ended = false;
    d.on("data", (chunk: Buffer) => {
      try {
        completed += checker.feed(chunk);
        if (completed > 1) throw new Error("more than one echo reply set on a per-request stream");
      } catch (e) {
        run?.fail(e);
        d.destroy();
      }
    });
    d.on("end", () => {
      ended = true;
      live.delete(d);
      if (completed !== 1 || !checker.idle) run?.fail(new Error(`per-request stream ended after ${completed} replies`));
      else run?.complete(1);
    });
    d.on("error", (e: Error) => run?.fail(e));
    d.on("close", () => {
      live.delete(d);
      if (!ended) run?.fail(new Error("per-request stream closed before its reply ended"));
    });
    d.end(template);
  };
  const send = (n: number) => {
    for (let i = 0; i < n; i++) one();
  };
  return {
    async run(inFlight, ms) {
      if (current) throw new Error("echo run already in progress");
      current = boundedRun(inFlight, ms, send);
      send(inFlight);
      try {
        return await current.promise;
      } finally {
        current = undefined;
      }
    },
    close() {
      for (const d of live) d.destroy();
    },
  };
}
