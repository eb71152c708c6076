import type { TlsOptions } from "node:tls";
import {
  Code,
  type ConnectionLimits,
  createStallWatch,
  createWriteBudget,
  DEFAULT_WRITE_STALL_TIMEOUT_MS,
  type Engine,
  ModelwireError,
  noopObserver,
  resolveConnectionLimits,
  type ServerObserver,
  type StallWatch,
  type WriteBudget,
} from "@modelwire/core";
import { createTokenCheck, type TokenCheck } from "@modelwire/core/token";
import { DEFAULT_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE, MIN_MAX_FRAME_SIZE } from "@modelwire/mcp-codec";
import { DEFAULT_MAX_BATCH_FRAMES } from "./frame-writer.js";

/** TLS listener options: where to listen plus the key and certificate (any other `node:tls` server option too). */
export interface McpTlsListenOptions extends TlsOptions {
  /** Interface to bind. Default `"127.0.0.1"`. */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
}

/**
 * Options of {@link createMcpServer}. At least one of `tcp`, `unix` and `tls` is required. Each listener caps its
 * connections (`maxConnections`, default 4096; `maxConnectionsPerClient` per remote address, default 2048): a
 * connection over a cap gets ERROR `resource_exhausted` on stream 0 naming the cap, and is closed.
 */
export interface McpServerOptions extends ConnectionLimits {
  /** The engine every stream runs on (wrap it with `guardEngine` of @modelwire/engine for an overload limit). */
  engine: Engine;
  /** Listen on TCP. */
  tcp?: { host?: string; port: number };
  /** Listen on a Unix domain socket at this path (a stale socket file is removed first). */
  unix?: { path: string };
  /** Listen on TLS over TCP. */
  tls?: McpTlsListenOptions;
  /** When set, HELLO must carry this token as `auth-token`, else the connection gets `Unauthenticated`. */
  authToken?: string;
  /** Receives one call per stream. Default: records nothing. */
  observer?: ServerObserver;
  /** Streams allowed at once on one connection (announced in WELCOME). Default 128. */
  maxStreamsPerConnection?: number;
  /** Streams allowed at once on the whole server. Default 1024. */
  maxStreams?: number;
  /** Heartbeat interval offered when the client proposes none, in ms. Default 5000. */
  heartbeatMs?: number;
  /** Largest payload accepted or sent, in bytes. Default 4 MiB. */
  maxFrameSize?: number;
  /** Time allowed between accepting a connection and its HELLO. Default 10 000 ms. */
  handshakeTimeoutMs?: number;
  /** Unsent bytes per connection above which streams stop pulling from the engine. Default 256 KiB. */
  writeHighWaterMark?: number;
  /**
   * How long a connection's writes may make no progress (its client reads nothing while frames wait) before the
   * connection fails with ERROR on stream 0, RESOURCE_EXHAUSTED, reason `write_stall`: every stream's engine call is
   * aborted and its slot freed. 0 turns it off. Default 30 s.
   */
  writeStallTimeoutMs?: number;
  /**
   * The budget on bytes queued for readers that are behind, shared with other servers (a gateway's one budget): a
   * connection's frame backlog counts; over it the connections holding the most fail as a stalled one does (ERROR on
   * stream 0, RESOURCE_EXHAUSTED, reason `write_budget`). Default: a budget of this server's own,
   * `DEFAULT_MAX_QUEUED_BYTES` (64 MiB).
   */
  writeBudget?: WriteBudget;
  /** Name announced in WELCOME metadata. Default `"modelwire-mcp"`. */
  serverName?: string;
  /**
   * Frames one socket write carries at most: with many streams in flight a burst is written in several batches so
   * the client starts on the first while this side produces the rest (see docs/mcp-wire.md §10). A tuning knob, in
   * [1, 1024]. Default 8 (`DEFAULT_MAX_BATCH_FRAMES`: four one-token replies, from the sweep documented there).
   */
  writeBatchFrames?: number;
  /**
   * Whether to accept the `compact-data` feature when a client offers it in HELLO (docs/mcp-wire.md §4.7–4.8):
   * later chunks of a stream then go as compact DATA frames (7-byte header, `model` left out). A client that does
   * not offer it gets v1 DATA frames either way. Default true.
   */
  compactData?: boolean;
  /**
   * Whether to accept the `batch-data` feature when a client offers it in HELLO (docs/mcp-wire.md §4.9): the later
   * chunks of a stream produced in one tick then go together in batched DATA frames (one 9-byte header, each chunk a
   * length-prefixed entry without `model`). No chunk waits for another: a batch is written at the end of the tick
   * its chunks were produced in. A client that does not offer it gets what it asked for otherwise. Default true.
   */
  batchData?: boolean;
}

/** Settings and shared figures of one server, seen by all its connections. */
export interface ServerShared {
  engine: Engine;
  observer: ServerObserver;
  /** Checks a HELLO's `auth-token` in constant time (SHA-256 digests compared); undefined: none required. */
  authToken: TokenCheck | undefined;
  maxStreamsPerConnection: number;
  maxStreams: number;
  heartbeatMs: number;
  maxFrameSize: number;
  handshakeTimeoutMs: number;
  writeHighWaterMark: number;
  serverName: string;
  writeBatchFrames: number;
  /** The connection caps each listener applies. */
  connectionLimits: Required<ConnectionLimits>;
  compactData: boolean;
  batchData: boolean;
  /** Streams counted against `maxStreams` now. */
  inFlight: number;
  /** Bytes read from every connection, closed ones included. */
  bytesIn: number;
  /** Bytes written by connections that have closed (live ones count their own). */
  bytesOut: number;
  /** Set when the server began closing: new connections are refused, new streams get `Unavailable`. */
  draining: boolean;
  /** Cuts connections whose client stopped reading. */
  stallWatch: StallWatch;
  /**
   * Destroys a failed connection whose client still reads nothing, so that the ERROR queued behind what it has not
   * read can still reach it: the stall timeout, but at least {@link MIN_LINGER_MS} (a client that stopped
   * reading needs a moment to read through its own queues before the ERROR's bytes move).
   */
  lingerWatch: StallWatch;
  /** Counts connections' queued bytes; cuts the largest over budget. */
  writeBudget: WriteBudget;
}

/** The least time a failed connection's client gets to start reading again before its socket is destroyed. */
export const MIN_LINGER_MS = 5000;

/** Checks `options` and fills in the defaults; throws `InvalidArgument` naming the field for a bad value. */
export function resolveServerOptions(options: McpServerOptions): ServerShared {
  if (!options.tcp && !options.unix && !options.tls) {
    throw new ModelwireError("createMcpServer needs at least one of tcp, unix, tls", Code.InvalidArgument, {
      field: "tcp",
    });
  }
  const int = (name: string, v: number | undefined, def: number, min = 1, max = Number.MAX_SAFE_INTEGER) => {
    const x = v ?? def;
    if (!Number.isInteger(x) || x < min || x > max) {
      throw new ModelwireError(`${name} must be an integer in [${min}, ${max}], got ${x}`, Code.InvalidArgument, {
        field: name,
      });
    }
    return x;
  };
  if (options.authToken === "") {
    throw new ModelwireError("authToken must not be empty", Code.InvalidArgument, { field: "authToken" });
  }
  return {
    engine: options.engine,
    observer: options.observer ?? noopObserver,
    authToken: options.authToken === undefined ? undefined : createTokenCheck(options.authToken),
    maxStreamsPerConnection: int("maxStreamsPerConnection", options.maxStreamsPerConnection, 128),
    maxStreams: int("maxStreams", options.maxStreams, 1024),
    heartbeatMs: int("heartbeatMs", options.heartbeatMs, 5000, 0, 600_000),
    maxFrameSize: int(
      "maxFrameSize",
      options.maxFrameSize,
      DEFAULT_MAX_FRAME_SIZE,
      MIN_MAX_FRAME_SIZE,
      MAX_MAX_FRAME_SIZE,
    ),
    handshakeTimeoutMs: int("handshakeTimeoutMs", options.handshakeTimeoutMs, 10_000),
    writeHighWaterMark: int("writeHighWaterMark", options.writeHighWaterMark, 256 * 1024),
    serverName: options.serverName ?? "modelwire-mcp",
    writeBatchFrames: int("writeBatchFrames", options.writeBatchFrames, DEFAULT_MAX_BATCH_FRAMES, 1, 1024),
    connectionLimits: resolveConnectionLimits(options),
    compactData: options.compactData ?? true,
    batchData: options.batchData ?? true,
    inFlight: 0,
    bytesIn: 0,
    bytesOut: 0,
    draining: false,
    stallWatch: createStallWatch(options.writeStallTimeoutMs ?? DEFAULT_WRITE_STALL_TIMEOUT_MS),
    lingerWatch: createStallWatch(
      Math.max(MIN_LINGER_MS, options.writeStallTimeoutMs ?? DEFAULT_WRITE_STALL_TIMEOUT_MS),
    ),
    writeBudget: options.writeBudget ?? createWriteBudget(),
  };
}
