import { setMaxListeners } from "node:events";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { Code as ConnectCode, ConnectError, createContextValues, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  Code,
  createServingState,
  createSocketTally,
  createStallWatch,
  createWriteBudget,
  DEFAULT_WRITE_STALL_TIMEOUT_MS,
  InferenceService,
  type ListenAddress,
  ModelwireError,
  noopObserver,
  type ProtocolServer,
  type Refusal,
  type ServerObserver,
  type ServerStats,
  type ServingState,
  setLongTimeout,
  type WriteBudget,
} from "@modelwire/core";
import { healthV1, reflectionV1, reflectionV1alpha } from "@modelwire/core/grpc";
import { createBearerCheck } from "@modelwire/core/token";
import type { Engine } from "@modelwire/engine";
import { applyCors, createConnectCors } from "./cors.js";
import { createFastStreamingHandler } from "./fast-streaming.js";
import { createFastUnaryHandler } from "./fast-unary.js";
import { createGrpcFallback } from "./grpc-fallback.js";
import { createHealthServiceImpl } from "./health.js";
import { LONG_DEADLINE, takeLongTimeout } from "./long-deadline.js";
import { markParsed, rewriteParseErrors, withParseMark } from "./parse-status.js";
import {
  closeHttp1WhenIdle,
  closeWhenIdle,
  limitBodyTime,
  type PortLimitOptions,
  refusedCall,
  resolvePortLimits,
} from "./port-guard.js";
import { createReflectionServiceImpls } from "./reflection.js";
import { watchReply } from "./reply-watch.js";
import { createInferenceServiceImpl, type InFlightCounter } from "./service.js";
import { createPrefaceSniffer } from "./sniff.js";

/**
 * Options of {@link createConnectServer}. The limits that keep one client from using up the port (docs/connect.md,
 * "Limits"): `maxConnections` (default 4096) and `maxConnectionsPerClient` (per remote address, default 2048) —
 * a connection over either is answered RESOURCE_EXHAUSTED on its calls and closed; `idleTimeoutMs` (default 30 s)
 * closes an HTTP/2 session without streams (GOAWAY) and an idle HTTP/1.1 keep-alive connection; `bodyTimeoutMs`
 * (default 30 s) fails a call whose request body has not arrived in full (DEADLINE_EXCEEDED); `headersTimeoutMs`
 * (default 30 s) bounds an HTTP/1.1 request's headers and a TLS handshake; `http2Settings` defaults to
 * `maxConcurrentStreams` 1024 and `maxHeaderListSize` 16 KiB (a larger header block resets only its stream).
 */
export interface ConnectServerOptions extends PortLimitOptions {
  /** What the RPCs call. The gateway passes a guarded engine (overload → RESOURCE_EXHAUSTED). */
  engine: Engine;
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 (default) picks a free one, reported by `listen()`. */
  port?: number;
  /** Serve TLS (HTTP/2 and, with `http1`, HTTP/1.1 negotiated by ALPN). PEM strings or buffers. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** When set, every call must carry `authorization: Bearer <token>`; others fail with UNAUTHENTICATED. */
  authToken?: string;
  /** Told about every call (protocol `"grpc"`, `"grpc-web"` or `"connect"`). */
  observer?: ServerObserver;
  /** Largest request message accepted, in bytes; bigger ones fail with RESOURCE_EXHAUSTED. Default 4 MiB. */
  readMaxBytes?: number;
  /** Largest response message sent, in bytes. Default 16 MiB. */
  writeMaxBytes?: number;
  /**
   * Also serve HTTP/1.1 on the same port (the Connect protocol and gRPC-Web work over it; gRPC needs HTTP/2).
   * Cleartext connections are told apart by the HTTP/2 connection preface; TLS ones by ALPN. Default true.
   */
  http1?: boolean;
  /** HTTP/2 settings sent to clients, over the defaults (`maxConcurrentStreams` 1024, `maxHeaderListSize` 16 KiB). */
  http2Settings?: http2.Settings;
  /** Longest deadline a client may ask for, in ms (a longer `grpc-timeout` is refused). Default: no limit. */
  maxTimeoutMs?: number;
  /**
   * Serve binary, uncompressed unary calls — gRPC over HTTP/2, gRPC-Web and the Connect protocol over HTTP/2 or
   * HTTP/1.1 — on our own fast path instead of connect-node's pipeline (same behaviour and bytes, ~4× the
   * throughput; see docs/connect-perf.md). Default true; false serves unary calls through connect-node (the
   * benchmark's "stock" row sets this and `fastStreaming` to false).
   */
  fastUnary?: boolean;
  /**
   * Serve binary, uncompressed server-streaming calls (Generate, Chat) in gRPC, gRPC-Web and the Connect protocol
   * on our own fast path instead of connect-node's pipeline (same behaviour and bytes; see docs/connect-perf.md).
   * Default true; false streams through connect-node (the benchmark's "stock" row sets both this and `fastUnary`
   * to false).
   */
  fastStreaming?: boolean;
  /**
   * What `grpc.health.v1.Health` reports for `""` and `modelwire.v1.InferenceService`: SERVING while it serves.
   * Default: a state of the server's own, serving until `close()`. The server sets it to not serving when it
   * closes.
   */
  serving?: ServingState;
  /**
   * Origins whose pages may call the port from a browser (connect-web over the Connect protocol or gRPC-Web),
   * beyond Ollama's defaults (localhost, 127.0.0.1 and 0.0.0.0 on any port, the app schemes): entries as
   * `parseOriginList` returns them (`OLLAMA_ORIGINS` semantics). A disallowed `Origin` is answered 403.
   */
  origins?: readonly string[];
  /**
   * How long a call's reply may wait on a client that reads nothing before the call is cut: HTTP/2 resets the
   * stream with ENHANCE_YOUR_CALM (gRPC clients report RESOURCE_EXHAUSTED), HTTP/1.1 closes the connection; the
   * engine call is aborted and its slot freed. 0 turns it off. Default 30 s.
   */
  writeStallTimeoutMs?: number;
  /**
   * The budget on bytes queued for readers that are behind, shared with other servers (a gateway's one budget);
   * over it the calls holding the most are cut as a stall is (HTTP/2: ENHANCE_YOUR_CALM, RESOURCE_EXHAUSTED to gRPC
   * clients). Default: a budget of this server's own, `DEFAULT_MAX_QUEUED_BYTES` (64 MiB).
   */
  writeBudget?: WriteBudget;
}

/** Every service the port serves, as server reflection lists them. */
export const SERVED_SERVICES = [
  InferenceService,
  healthV1.Health,
  reflectionV1.ServerReflection,
  reflectionV1alpha.ServerReflection,
] as const;

const DEFAULT_READ_MAX = 4 * 1024 * 1024;
/**
 * After the grace period: how long calls get to send their UNAVAILABLE before the sockets left are destroyed (a
 * session whose streams have all ended closes by itself first). 100 ms was too short on a loaded machine: a
 * client saw its stream reset (INTERNAL_ERROR) instead of the status.
 */
const SHUTDOWN_FLUSH_MS = 1_000;
const DEFAULT_WRITE_MAX = 16 * 1024 * 1024;

/**
 * Creates the Connect/gRPC/gRPC-Web server for the InferenceService: one connect-node handler on HTTP/2 cleartext
 * (h2c), HTTP/1.1 on the same port, or TLS. Deadlines reach the engine, a client cancel stops it, message size
 * limits answer RESOURCE_EXHAUSTED, and `close()` drains with HTTP/2 GOAWAY. The port also serves the standard
 * gRPC health service (open without the bearer token, as probes send none) and server reflection, v1 and v1alpha;
 * a gRPC call to an unknown service or method answers HTTP 200 with `grpc-status: 12`. Browsers are answered as
 * Ollama answers them ({@link createConnectCors}: preflights, allowed and refused origins).
 */
export function createConnectServer(options: ConnectServerOptions): ProtocolServer {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 0;
  const serveHttp1 = options.http1 ?? true;
  const limits = resolvePortLimits(options);
  const gate = limits.gate;
  /** Connections over a cap: their calls are answered with the refusal's error. */
  const refusedSessions = new WeakMap<http2.Http2Session, Refusal>();
  const refusedSockets = new WeakMap<net.Socket, Refusal>();
  /** HTTP/1.1 connections negotiated by ALPN: told about each request, closed when idle (see closeHttp1WhenIdle). */
  const alpnHttp1 = new WeakMap<net.Socket, (res: http.ServerResponse) => void>();
  const counter: InFlightCounter = { inFlight: 0 };
  const shutdown = new AbortController();
  // Every call in flight listens on it; the default limit of 10 listeners would warn under load.
  setMaxListeners(0, shutdown.signal);
  // Fires when close() begins: health Watch streams send NOT_SERVING and end.
  const closingCalls = new AbortController();
  setMaxListeners(0, closingCalls.signal);
  const serving = options.serving ?? createServingState();
  const reflection = createReflectionServiceImpls(SERVED_SERVICES);
  // First: marks a call whose request message connect-es parsed (see parse-status.ts).
  const interceptors: Interceptor[] = [markParsed];
  if (options.authToken !== undefined) interceptors.push(bearerAuth(options.authToken));

  const handler = connectNodeAdapter({
    routes: (router) => {
      router
        .service(
          InferenceService,
          createInferenceServiceImpl(options.engine, options.observer ?? noopObserver, counter),
        )
        .service(healthV1.Health, createHealthServiceImpl(serving, [InferenceService.typeName], closingCalls.signal))
        .service(reflectionV1.ServerReflection, reflection.v1)
        .service(reflectionV1alpha.ServerReflection, reflection.v1alpha);
      // A Connect unary request message that cannot be decoded: INVALID_ARGUMENT, not connect-es's INTERNAL.
      rewriteParseErrors(router);
    },
    fallback: createGrpcFallback(SERVED_SERVICES),
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX,
    writeMaxBytes: options.writeMaxBytes ?? DEFAULT_WRITE_MAX,
    maxTimeoutMs: options.maxTimeoutMs,
    shutdownSignal: shutdown.signal,
    interceptors,
    // A timeout past Node's timer limit is taken off the request here (connect-es would arm it whole and fail the
    // call after 1 ms) and enforced by the InferenceService implementation with a chained timer.
    contextValues: (req) => {
      const deadline = takeLongTimeout(req.headers);
      const values = withParseMark(createContextValues());
      return deadline === undefined ? values : values.set(LONG_DEADLINE, deadline);
    },
    grpc: true,
    grpcWeb: true,
    connect: true,
  });

  const fastOptions = {
    engine: options.engine,
    observer: options.observer ?? noopObserver,
    counter,
    readMaxBytes: options.readMaxBytes ?? DEFAULT_READ_MAX,
    writeMaxBytes: options.writeMaxBytes ?? DEFAULT_WRITE_MAX,
    maxTimeoutMs: options.maxTimeoutMs,
    authToken: options.authToken,
    shutdownSignal: shutdown.signal,
  };
  const fastUnary = options.fastUnary === false ? undefined : createFastUnaryHandler(fastOptions);
  const fastStreaming = options.fastStreaming === false ? undefined : createFastStreamingHandler(fastOptions);
  const cors = createConnectCors(options.origins);
  const stallWatch = createStallWatch(options.writeStallTimeoutMs ?? DEFAULT_WRITE_STALL_TIMEOUT_MS);
  const writeBudget = options.writeBudget ?? createWriteBudget();
  const h2Handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    const refusal = refusedSessions.get(req.stream.session as http2.Http2Session);
    if (refusal) return refusedCall(req, res, refusal.error);
    limitBodyTime(req, res, limits.bodyTimeoutMs);
    watchReply(stallWatch, writeBudget, res);
    // A browser's request (it carries Origin): CORS, then connect-node, never the fast paths.
    if (req.headers.origin !== undefined) {
      if (!applyCors(cors, req, res)) handler(req, res);
      return;
    }
    if (fastUnary?.(req, res) || fastStreaming?.(req, res)) return;
    handler(req, res);
  };

  const sockets = createSocketTally<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  let closing = false;

  const track = (socket: net.Socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
  };

  // HTTP/1.1 handler: while draining, answer with `connection: close` and drop idle keep-alive sockets.
  const h1Handler: http.RequestListener = (req, res) => {
    const refusal = refusedSockets.get(req.socket);
    if (refusal) return refusedCall(req, res, refusal.error);
    alpnHttp1.get(req.socket)?.(res);
    limitBodyTime(req, res, limits.bodyTimeoutMs);
    watchReply(stallWatch, writeBudget, res);
    if (closing) res.setHeader("connection", "close");
    res.once("finish", () => {
      if (closing) h1?.closeIdleConnections();
    });
    if (req.headers.origin !== undefined) {
      if (!applyCors(cors, req, res)) handler(req, res);
      return;
    }
    if (fastUnary?.(req, res) || fastStreaming?.(req, res)) return;
    handler(req, res);
  };

  let h1: http.Server | undefined;
  let h2: http2.Http2Server | http2.Http2SecureServer;
  let front: net.Server;
  if (options.tls) {
    h2 = http2.createSecureServer(
      {
        key: options.tls.key,
        cert: options.tls.cert,
        allowHTTP1: serveHttp1,
        settings: limits.http2Settings,
        handshakeTimeout: limits.headersTimeoutMs,
      },
      (req, res) => (req.httpVersionMajor === 1 ? h1Handler(req as never, res as never) : h2Handler(req, res)),
    );
    h2.on("connection", track);
    // HTTP/1.1 negotiated by ALPN: gated here (HTTP/2 sessions are gated as sessions below).
    h2.on("secureConnection", (socket: net.Socket & { alpnProtocol?: string | false }) => {
      if (socket.alpnProtocol === "h2") return;
      gateHttp1(socket);
      alpnHttp1.set(socket, closeHttp1WhenIdle(socket, limits.idleTimeoutMs));
    });
    front = h2;
  } else {
    h2 = http2.createServer({ settings: limits.http2Settings }, h2Handler);
    if (serveHttp1) {
      h1 = http.createServer(
        {
          noDelay: true,
          keepAliveTimeout: limits.idleTimeoutMs,
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.headersTimeoutMs + limits.bodyTimeoutMs,
          // Node checks those timeouts on this interval (default 30 s, which would double a short one).
          connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
        },
        h1Handler,
      );
    }
    const h1Server = h1;
    const sniff = createPrefaceSniffer({
      http2: (socket) => h2.emit("connection", socket),
      http1: (socket) => {
        if (!h1Server) return socket.destroy();
        gateHttp1(socket);
        if (!socket.destroyed) h1Server.emit("connection", socket);
      },
    });
    front = net.createServer((socket) => {
      track(socket);
      if (h1Server) sniff(socket);
      else h2.emit("connection", socket);
    });
  }
  h2.on("session", (session) => {
    const refusal = gate.admit({
      remoteAddress: session.socket?.remoteAddress,
      once: (_event, listener) => session.once("close", listener),
      destroy: () => session.destroy(),
    });
    if (refusal) refusedSessions.set(session, refusal);
    else closeWhenIdle(session, limits.idleTimeoutMs);
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    if (closing) session.close();
  });

  /** Counts an HTTP/1.1 connection against the caps; one over them has its requests answered with the refusal. */
  function gateHttp1(socket: net.Socket): void {
    const refusal = gate.admit(socket);
    if (refusal) refusedSockets.set(socket, refusal);
  }
  // A backstop for what the gate does not see yet (connections still sniffing or in their TLS handshake).
  front.maxConnections = limits.gate.limits.maxConnections + 64;

  let addresses: ListenAddress[] | undefined;
  let closePromise: Promise<void> | undefined;

  return {
    async listen() {
      if (addresses) return addresses;
      await new Promise<void>((resolve, reject) => {
        const onError = (e: Error) =>
          reject(new ModelwireError(`listen failed: ${e.message}`, Code.Unavailable, {}, e));
        front.once("error", onError);
        front.listen(port, host, () => {
          front.off("error", onError);
          resolve();
        });
      });
      // The HTTP/1.1 server gets its sockets from the sniffer and never listens itself, but Node starts its check
      // of headersTimeout/requestTimeout on 'listening': without this, slow or silent HTTP/1.1 clients are never cut.
      h1?.emit("listening");
      const a = front.address() as net.AddressInfo;
      const hostPart = a.family === "IPv6" ? `[${a.address}]` : a.address;
      addresses = [{ protocol: "connect", url: `${options.tls ? "https" : "http"}://${hostPart}:${a.port}` }];
      return addresses;
    },

    close({ graceMs = 5_000 } = {}) {
      if (closePromise) return closePromise;
      closing = true;
      serving.set(false);
      closingCalls.abort();
      closePromise = new Promise<void>((resolve) => {
        let listenerClosed = !front.listening;
        let cut: ReturnType<typeof setTimeout> | undefined;
        const maybeDone = () => {
          if (listenerClosed && sockets.open.size === 0) {
            timer.clear();
            clearTimeout(cut);
            resolve();
          }
        };
        if (!listenerClosed) {
          front.close(() => {
            listenerClosed = true;
            maybeDone();
          });
        }
        for (const session of sessions) session.close(); // GOAWAY; streams in flight finish
        h1?.close(); // stops its timeout checks (it never listened: no socket is closed by this)
        h1?.closeIdleConnections();
        for (const s of sockets.open) s.once("close", maybeDone);
        const timer = setLongTimeout(() => {
          // Calls in flight answer the abort with UNAVAILABLE (trailers, an end-stream message): give those a
          // moment to reach the clients before the sockets go, or gRPC clients see a reset stream (CANCELLED).
          shutdown.abort(new ConnectError("server shutting down", ConnectCode.Unavailable));
          cut = setTimeout(() => {
            for (const session of sessions) session.destroy();
            for (const s of sockets.open) s.destroy();
          }, SHUTDOWN_FLUSH_MS);
          cut.unref();
        }, graceMs).unref();
        maybeDone();
      });
      return closePromise;
    },

    stats(): ServerStats {
      return {
        connections: sockets.open.size,
        inFlight: counter.inFlight,
        ...sockets.bytes(),
        refused: gate.refused,
        stalled: stallWatch.stalled,
      };
    },
  };
}

/**
 * A server interceptor that requires `authorization: Bearer <token>` (digests compared in constant time), except on
 * the health service: probes (Kubernetes, load balancers) send no credentials, as `/healthz` needs none.
 */
function bearerAuth(token: string): Interceptor {
  const authorized = createBearerCheck(token);
  return (next) => async (req) => {
    if (req.service.typeName === healthV1.Health.typeName) return next(req);
    if (!authorized(req.header.get("authorization") ?? undefined)) {
      throw new ConnectError("missing or invalid bearer token", ConnectCode.Unauthenticated);
    }
    return next(req);
  };
}
