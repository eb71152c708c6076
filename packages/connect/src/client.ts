import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import type { Duplex } from "node:stream";
import * as tls from "node:tls";
import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import {
  type Client,
  type CallOptions as ConnectCallOptions,
  Code as ConnectCode,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import {
  abortReason,
  type CallOptions,
  type ClientStats,
  Code,
  clampTimerMs,
  createSocketTally,
  effectiveDeadline,
  type InferenceClient,
  InferenceService,
  ModelwireError,
} from "@modelwire/core";
import { clientWireFor } from "./client-wires.js";
import { fromConnectError } from "./errors.js";
import { createFastUnaryCaller, type FastUnaryCaller } from "./fast-client.js";
import type { FastMethod } from "./fast-client-common.js";
import { createFastStreamCaller, type FastStreamCaller } from "./fast-stream-client.js";
import { stockStream, stockUnary } from "./long-deadline.js";
import { backoffMs, isRetryable, type RetryOptions, type RetryPolicy, resolveRetryPolicy, sleep } from "./retry.js";
import { guardSessionManager } from "./session-guard.js";
import { type CallTiming, createTimingInterceptor } from "./timing.js";

/** The parts of an InferenceService method descriptor a call needs. */
interface MethodDesc<I extends DescMessage, O extends DescMessage> {
  name: string;
  localName: string;
  input: I;
  output: O;
}

/** The wire protocol a {@link createConnectClient} client speaks. */
export type ConnectProtocol = "grpc" | "connect" | "grpc-web";

/** HTTP/2 keepalive of a client connection (PING frames). */
export interface KeepaliveOptions {
  /** Send a PING after this many ms without reading from the connection while calls are open. Default 30,000. */
  intervalMs?: number;
  /** A PING not answered within this many ms kills the connection (calls fail with UNAVAILABLE). Default 10,000. */
  timeoutMs?: number;
  /** Close a connection that has had no call for this many ms. Default 300,000. */
  idleTimeoutMs?: number;
  /** Also PING while no call is open. Default false. */
  pingIdle?: boolean;
}

/** Options of {@link createConnectClient}. */
export interface ConnectClientOptions {
  /** The server's origin, e.g. `http://127.0.0.1:50051` (or `https://...`). */
  baseUrl: string;
  /** Wire protocol. Default `"grpc"`. */
  protocol?: ConnectProtocol;
  /** HTTP version. Default `"2"`; `"1.1"` works for `"connect"` and `"grpc-web"` only. */
  httpVersion?: "2" | "1.1";
  /** HTTP/2 keepalive (ignored over HTTP/1.1). */
  keepalive?: KeepaliveOptions;
  /** Retry policy; `false` turns retries off. Default: 3 attempts, 50 ms backoff doubling to 2 s, 20 % jitter. */
  retry?: RetryOptions | false;
  /** Extra Connect interceptors, outermost first. */
  interceptors?: Interceptor[];
  /** When set, a timing interceptor reports every attempt here. */
  onTiming?: (timing: CallTiming) => void;
  /** Sent as `authorization: Bearer <token>` with every call. */
  authToken?: string;
  /** TLS settings for `https://` (e.g. the test CA). */
  tls?: Pick<tls.ConnectionOptions, "ca" | "cert" | "key" | "rejectUnauthorized" | "servername">;
  /** Largest response message accepted, in bytes. Default 16 MiB. */
  readMaxBytes?: number;
  /** Largest request message sent, in bytes. Default 4 MiB. */
  writeMaxBytes?: number;
  /** Use JSON instead of binary Protobuf (Connect and gRPC-Web only make sense here). Default false. */
  json?: boolean;
  /**
   * Send unary calls (binary gRPC, gRPC-Web or Connect over HTTP/2, no extra `interceptors`) on our own fast path over connect-node's session
   * manager instead of through connect-node's call pipeline (same behaviour, about twice the throughput; see
   * docs/connect-perf.md). Default true.
   */
  fastUnary?: boolean;
  /**
   * Open server-streaming calls (Generate, Chat; binary, HTTP/2, no extra `interceptors`) on our own fast path over
   * connect-node's session manager instead of through connect-node's call pipeline (same behaviour: deadlines,
   * cancel, retry before the first message, timing). Default true; false streams through connect-node.
   */
  fastStreaming?: boolean;
}

const transportNames: Record<ConnectProtocol, string> = {
  grpc: "connect-grpc",
  connect: "connect",
  "grpc-web": "grpc-web",
};

/**
 * Creates an {@link InferenceClient} over connect-node: gRPC, the Connect protocol or gRPC-Web, on HTTP/2 (one
 * session kept alive with PINGs) or HTTP/1.1 (a keep-alive agent). Deadlines travel as `grpc-timeout` /
 * `connect-timeout-ms`; failures are {@link ModelwireError}s with the shared codes; UNAVAILABLE (and, before any
 * response message, DEADLINE_EXCEEDED) is retried with exponential backoff and jitter.
 */
export function createConnectClient(options: ConnectClientOptions): InferenceClient {
  const protocol = options.protocol ?? "grpc";
  const httpVersion = options.httpVersion ?? "2";
  const transportName = transportNames[protocol];
  if (!transportName)
    throw new ModelwireError(`unknown protocol "${protocol}"`, Code.InvalidArgument, { field: "protocol" });
  if (protocol === "grpc" && httpVersion !== "2") {
    throw new ModelwireError("gRPC needs HTTP/2", Code.InvalidArgument, { field: "httpVersion" });
  }
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch (e) {
    throw new ModelwireError(`invalid baseUrl: ${options.baseUrl}`, Code.InvalidArgument, { field: "baseUrl" }, e);
  }
  const secure = url.protocol === "https:";
  const policy = resolveRetryPolicy(options.retry);

  const interceptors: Interceptor[] = [...(options.interceptors ?? [])];
  if (options.onTiming) interceptors.push(createTimingInterceptor(options.onTiming));
  if (options.authToken !== undefined) {
    const value = `Bearer ${options.authToken}`;
    interceptors.push((next) => (req) => {
      req.header.set("authorization", value);
      return next(req);
    });
  }

  // Socket accounting: every connection the transport opens goes through here.
  const sockets = createSocketTally<net.Socket>();
  const trackSocket = <S extends net.Socket>(s: S): S => {
    // The HTTP/2 session reports socket failures to its calls; a socket error after the session is gone (e.g. the
    // session was destroyed by a PING timeout) must not become an uncaught exception.
    s.on("error", () => {});
    sockets.add(s);
    return s;
  };

  let sessionManager: Http2SessionManager | undefined;
  let agent: http.Agent | undefined;
  let transport: Transport;
  const common = {
    baseUrl: url.origin,
    interceptors,
    readMaxBytes: options.readMaxBytes ?? 16 * 1024 * 1024,
    writeMaxBytes: options.writeMaxBytes ?? 4 * 1024 * 1024,
    useBinaryFormat: !options.json,
  };
  if (httpVersion === "2") {
    const ka = options.keepalive ?? {};
    sessionManager = new Http2SessionManager(
      url.origin,
      {
        // connect-node ignores a period past Node's timer limit; clamped, it keeps its meaning.
        pingIntervalMs: clampTimerMs(ka.intervalMs ?? 30_000),
        pingTimeoutMs: clampTimerMs(ka.timeoutMs ?? 10_000),
        idleConnectionTimeoutMs: clampTimerMs(ka.idleTimeoutMs ?? 300_000),
        pingIdleConnection: ka.pingIdle ?? false,
      },
      {
        createConnection: (authority: URL): Duplex => {
          const port = Number(authority.port) || (secure ? 443 : 80);
          const host = authority.hostname.replace(/^\[|\]$/g, "");
          if (secure) {
            const t = tls.connect({
              host,
              port,
              ALPNProtocols: ["h2"],
              servername: net.isIP(host) ? undefined : host,
              ...options.tls,
            });
            t.setNoDelay(true);
            return trackSocket(t);
          }
          const s = net.connect({ host, port, noDelay: true });
          return trackSocket(s);
        },
      },
    );
    guardSessionManager(sessionManager);
    const t = { ...common, httpVersion: "2" as const, sessionManager };
    transport =
      protocol === "grpc"
        ? createGrpcTransport(t)
        : protocol === "connect"
          ? createConnectTransport(t)
          : createGrpcWebTransport(t);
  } else {
    agent = secure ? new https.Agent({ keepAlive: true, ...options.tls }) : new http.Agent({ keepAlive: true });
    const origCreate = agent.createConnection.bind(agent) as (...a: unknown[]) => net.Socket;
    (agent as unknown as { createConnection: (...a: unknown[]) => net.Socket }).createConnection = (...a) => {
      const s = origCreate(...a);
      s.setNoDelay(true);
      return trackSocket(s);
    };
    const t = { ...common, httpVersion: "1.1" as const, nodeOptions: { agent } };
    transport = protocol === "connect" ? createConnectTransport(t) : createGrpcWebTransport(t);
  }

  const client: Client<typeof InferenceService> = createClient(InferenceService, transport);
  // Binary calls over HTTP/2 in every protocol (gRPC, gRPC-Web, Connect) take the fast paths; JSON, HTTP/1.1 and
  // calls with extra interceptors go through connect-node.
  const fastCapable = sessionManager && !options.json && !options.interceptors?.length;
  const fastOptions = sessionManager && {
    sessionManager,
    wire: clientWireFor(protocol),
    readMaxBytes: common.readMaxBytes,
    writeMaxBytes: common.writeMaxBytes,
    authorization: options.authToken === undefined ? undefined : `Bearer ${options.authToken}`,
    onTiming: options.onTiming,
  };
  const fast: FastUnaryCaller | undefined =
    fastCapable && fastOptions && options.fastUnary !== false ? createFastUnaryCaller(fastOptions) : undefined;
  const fastStream: FastStreamCaller | undefined =
    fastCapable && fastOptions && options.fastStreaming !== false ? createFastStreamCaller(fastOptions) : undefined;
  const m = InferenceService.method;
  /** connect-node's client methods by local name (what {@link unaryMethod} and {@link streamMethod} fall back to). */
  const stock = client as unknown as Record<string, (request: unknown, o: ConnectCallOptions) => unknown>;
  const fastMethods = new Map<object, FastMethod<DescMessage, DescMessage>>();
  /** The fast paths' view of a method (built once per method). */
  const fastMethod = <I extends DescMessage, O extends DescMessage>(desc: MethodDesc<I, O>): FastMethod<I, O> => {
    let f = fastMethods.get(desc);
    if (!f) {
      f = {
        path: `/${InferenceService.typeName}/${desc.name}`,
        name: desc.name,
        input: desc.input,
        output: desc.output,
      };
      fastMethods.set(desc, f);
    }
    return f as FastMethod<I, O>;
  };
  const fastHeaders = (o: ConnectCallOptions) => ({
    signal: o.signal,
    timeoutMs: o.timeoutMs,
    headers: o.headers as Record<string, string> | undefined,
  });
  let active = 0;
  let closed = false;

  /** Per-attempt Connect call options from our CallOptions; throws DEADLINE_EXCEEDED when no time is left. */
  function attemptOptions(
    options: CallOptions | undefined,
    deadline: number | undefined,
    unary: boolean,
  ): ConnectCallOptions {
    if (closed) throw new ModelwireError("client is closed", Code.Unavailable);
    if (options?.signal?.aborted) throw abortReason(options.signal);
    let timeoutMs: number | undefined;
    if (deadline !== undefined) {
      timeoutMs = deadline - Date.now();
      if (timeoutMs <= 0)
        throw new ModelwireError("deadline exceeded", Code.DeadlineExceeded, { deadline: String(deadline) });
    }
    if (unary && policy.perAttemptTimeoutMs !== undefined) {
      timeoutMs =
        timeoutMs === undefined ? policy.perAttemptTimeoutMs : Math.min(timeoutMs, policy.perAttemptTimeoutMs);
    }
    return { signal: options?.signal, timeoutMs, headers: options?.metadata };
  }

  function mapError(e: unknown, options: CallOptions | undefined): ModelwireError {
    if (options?.signal?.aborted) return abortReason(options.signal);
    return fromConnectError(e);
  }

  /**
   * The one retry loop of every call: runs `attempt` with fresh per-attempt options until it succeeds, or fails
   * with an error the policy does not repeat (attempts used up, neither UNAVAILABLE nor DEADLINE_EXCEEDED with time
   * left). Between attempts it sleeps the backoff, never past the deadline.
   */
  async function withRetries<T>(
    options: CallOptions | undefined,
    deadline: number | undefined,
    unary: boolean,
    attempt: (o: ConnectCallOptions) => Promise<T>,
  ): Promise<T> {
    for (let n = 1; ; n++) {
      const o = attemptOptions(options, deadline, unary);
      active++;
      try {
        return await attempt(o);
      } catch (e) {
        const err = mapError(e, options);
        if (n >= policy.maxAttempts || !isRetryable(err, false, deadline)) throw err;
      } finally {
        active--;
      }
      await sleep(boundedBackoff(policy, n, deadline), options?.signal);
    }
  }

  /**
   * A stream with retries until its first message: attempts open the stream and wait for that message; once one
   * has arrived the stream is never repeated, and a later failure is the caller's. A consumer that stops early
   * closes the underlying stream.
   */
  async function* stream<T>(
    options: CallOptions | undefined,
    open: (o: ConnectCallOptions) => AsyncIterable<T>,
  ): AsyncGenerator<T> {
    let messages: AsyncIterator<T> | undefined;
    let next = await withRetries(options, effectiveDeadline(options), false, (o) => {
      messages = open(o)[Symbol.asyncIterator]();
      return messages.next();
    });
    const it = messages!;
    let finished = false;
    active++;
    try {
      while (!next.done) {
        yield next.value;
        next = await it.next();
      }
      finished = true;
    } catch (e) {
      finished = true; // an iterator that threw is done
      throw mapError(e, options);
    } finally {
      active--;
      if (!finished) await it.return?.();
    }
  }

  /** A unary method, with retries: the fast path when it is on, else connect-node's client. */
  function unaryMethod<I extends DescMessage, O extends DescMessage>(
    desc: MethodDesc<I, O>,
    request: MessageInitShape<I>,
    options: CallOptions | undefined,
  ): Promise<MessageShape<O>> {
    return withRetries(options, effectiveDeadline(options), true, (o) =>
      fast
        ? fast(fastMethod(desc), request, fastHeaders(o))
        : stockUnary(o, protocol, (so) => stock[desc.localName](request, so) as Promise<MessageShape<O>>),
    );
  }

  /** A server-streaming method, with retries: the fast path when it is on, else connect-node's client. */
  function streamMethod<I extends DescMessage, O extends DescMessage>(
    desc: MethodDesc<I, O>,
    request: MessageInitShape<I>,
    options: CallOptions | undefined,
  ): AsyncIterable<MessageShape<O>> {
    return stream(options, (o) =>
      fastStream
        ? fastStream(fastMethod(desc), request, fastHeaders(o))
        : stockStream(o, protocol, (so) => stock[desc.localName](request, so) as AsyncIterable<MessageShape<O>>),
    );
  }

  return {
    transport: transportName,
    generate: (request, options) => streamMethod(m.generate, request, options),
    chat: (request, options) => streamMethod(m.chat, request, options),
    embed: (request, options) => unaryMethod(m.embed, request, options),
    list: (options) => unaryMethod(m.listModels, {}, options),
    running: (options) => unaryMethod(m.listRunning, {}, options),
    show: (request, options) => unaryMethod(m.showModel, request, options),
    version: (options) => unaryMethod(m.version, {}, options),
    stats(): ClientStats {
      const extra: Record<string, number | string> = { protocol, httpVersion, ...sockets.bytes() };
      const opened = sockets.added;
      if (sessionManager) {
        const state = sessionManager.state();
        extra.state = state;
        const open = state === "open" || state === "idle" || state === "verifying" ? 1 : 0;
        // One session at a time: every session after the first replaced one that closed or failed. Streams waiting
        // for the peer's concurrent-stream limit are node:http2's and not visible here (queued 0).
        const reconnects = Math.max(0, opened - 1);
        return {
          transport: transportName,
          open,
          active,
          idle: state === "idle" ? 1 : 0,
          queued: 0,
          opened,
          reconnects,
          extra,
        };
      }
      const open = sockets.open.size;
      const count = (m: NodeJS.ReadOnlyDict<unknown[]> | undefined) =>
        Object.values(m ?? {}).reduce((n: number, l) => n + (l?.length ?? 0), 0);
      // HTTP/1.1: requests the agent holds until one of its sockets is free.
      return {
        transport: transportName,
        open,
        active,
        idle: count(agent?.freeSockets),
        queued: count(agent?.requests),
        opened,
        extra,
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      sessionManager?.abort(new ConnectError("client closed", ConnectCode.Canceled));
      agent?.destroy();
      for (const s of sockets.open) s.destroy();
    },
  };
}

/** A backoff that never sleeps past the call's deadline. */
function boundedBackoff(policy: RetryPolicy, attempt: number, deadline: number | undefined): number {
  const ms = backoffMs(policy, attempt);
  return deadline === undefined ? ms : Math.max(0, Math.min(ms, deadline - Date.now()));
}
