import type { ConnectionOptions } from "node:tls";
import { Code, ModelwireError } from "@modelwire/core";
import { DEFAULT_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE, MIN_MAX_FRAME_SIZE } from "@modelwire/mcp-codec";
import type { ConnectionSettings } from "./client-connection.js";
import { parseEndpoint, transportName } from "./endpoint.js";
import { DEFAULT_CLIENT_MAX_BATCH_FRAMES } from "./frame-writer.js";

/** Reconnection policy: exponential backoff with jitter between attempts. */
export interface ReconnectOptions {
  /** Delay before the second attempt in a row (the first is immediate). Default 100 ms. */
  initialDelayMs?: number;
  /** Largest delay. Default 5000 ms. */
  maxDelayMs?: number;
  /** Consecutive failed attempts after which background reconnection stops (calls still retry). Default unlimited. */
  maxAttempts?: number;
}

/** Options of {@link createMcpClient}. */
export interface McpClientOptions {
  /** `tcp://host:port`, `tls://host:port` or `unix:/path/to.sock`. */
  url: string;
  /** Extra `node:tls` options for `tls://` (ca, cert, key, servername, rejectUnauthorized ...). */
  tls?: ConnectionOptions;
  /** Sent in HELLO as `auth-token`. */
  authToken?: string;
  /** Heartbeat interval proposed to the server, ms; a silent server is declared dead after two. Default 5000; 0 lets the server choose. */
  heartbeatMs?: number;
  /** Largest payload accepted. Default 4 MiB. */
  maxFrameSize?: number;
  /** Time allowed for connecting plus the handshake. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Reconnection policy, or `false` to never reconnect in the background. */
  reconnect?: ReconnectOptions | false;
  /** Connections to spread streams over. Default 1. */
  poolSize?: number;
  /** Chunks waiting for the application, per connection, above which the client stops reading the socket. Default 1024. */
  maxQueuedChunks?: number;
  /** Name sent in HELLO metadata. Default `"modelwire-mcp-client"`. */
  clientName?: string;
  /**
   * Calls waiting locally for a stream slot, client-wide. The server announces its per-connection stream limit in
   * WELCOME (`maxStreams`); the client never opens more streams than that on a connection, and queues the excess
   * (FIFO) until a stream ends. A call beyond this bound fails at once with `ResourceExhausted`. Default 10 000.
   */
  maxQueuedStreams?: number;
  /**
   * Frames one socket write carries at most: a burst of OPENs beyond it is written in several batches so the server
   * starts on the first while this side produces the rest (see docs/mcp-wire.md §10). A tuning knob, in [1, 1024].
   * Default 4 (`DEFAULT_CLIENT_MAX_BATCH_FRAMES`, from the sweep documented there).
   */
  writeBatchFrames?: number;
  /**
   * Whether to offer the `compact-data` feature in HELLO (docs/mcp-wire.md §4.7–4.8). A server that accepts it
   * sends a stream's later chunks as compact DATA frames (7-byte header, `model` left out); a server that does not
   * know it ignores the offer and sends v1 DATA. Default true.
   */
  compactData?: boolean;
  /**
   * Whether to offer the `batch-data` feature in HELLO (docs/mcp-wire.md §4.9). A server that accepts it sends the
   * later chunks of a stream produced in one tick in one batched DATA frame; the client reads them without a frame
   * per chunk. A server that does not know it ignores the offer. Default true.
   */
  batchData?: boolean;
}

/** {@link McpClientOptions} checked, with every default filled in. */
export interface ClientConfig {
  /** `"mcp-tcp"`, `"mcp-uds"` or `"mcp-tls"`, after the URL. */
  readonly transport: string;
  /** What each connection uses. */
  readonly settings: ConnectionSettings;
  readonly poolSize: number;
  readonly maxQueuedStreams: number;
  /** The reconnection policy, or `false` for none in the background. */
  readonly reconnect: Required<ReconnectOptions> | false;
}

function invalid(message: string, field: string): ModelwireError {
  return new ModelwireError(message, Code.InvalidArgument, { field });
}

/** Checks `options` and fills in the defaults; throws `InvalidArgument` naming the field for a bad value. */
export function resolveClientOptions(options: McpClientOptions): ClientConfig {
  const endpoint = parseEndpoint(options.url);
  const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  if (!Number.isInteger(maxFrameSize) || maxFrameSize < MIN_MAX_FRAME_SIZE || maxFrameSize > MAX_MAX_FRAME_SIZE) {
    throw invalid(`maxFrameSize must be in [${MIN_MAX_FRAME_SIZE}, ${MAX_MAX_FRAME_SIZE}]`, "maxFrameSize");
  }
  const heartbeatMs = options.heartbeatMs ?? 5000;
  if (!Number.isFinite(heartbeatMs) || heartbeatMs < 0) throw invalid("heartbeatMs must be >= 0", "heartbeatMs");
  const maxQueuedStreams = options.maxQueuedStreams ?? 10_000;
  if (!Number.isInteger(maxQueuedStreams) || maxQueuedStreams < 0) {
    throw invalid("maxQueuedStreams must be an integer >= 0", "maxQueuedStreams");
  }
  const writeBatchFrames = options.writeBatchFrames ?? DEFAULT_CLIENT_MAX_BATCH_FRAMES;
  if (!Number.isInteger(writeBatchFrames) || writeBatchFrames < 1 || writeBatchFrames > 1024) {
    throw invalid("writeBatchFrames must be an integer in [1, 1024]", "writeBatchFrames");
  }
  const poolSize = options.poolSize ?? 1;
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 64) {
    throw invalid("poolSize must be an integer in [1, 64]", "poolSize");
  }
  return {
    transport: transportName(endpoint.kind),
    settings: {
      endpoint,
      tls: options.tls,
      authToken: options.authToken,
      heartbeatMs,
      maxFrameSize,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      maxQueuedChunks: options.maxQueuedChunks ?? 1024,
      clientName: options.clientName ?? "modelwire-mcp-client",
      writeBatchFrames,
      compactData: options.compactData ?? true,
      batchData: options.batchData ?? true,
    },
    poolSize,
    maxQueuedStreams,
    reconnect:
      options.reconnect === false
        ? false
        : {
            initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
            maxDelayMs: options.reconnect?.maxDelayMs ?? 5000,
            maxAttempts: options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY,
          },
  };
}
