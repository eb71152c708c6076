import { Code } from "./code.js";
import { ModelwireError } from "./error.js";

/** Connections one listener holds at once, by default. */
export const DEFAULT_MAX_CONNECTIONS = 4096;
/** Connections one client (one remote address) may hold on one listener at once, by default. */
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 2048;
/** How long a refused connection may stay open to carry its coded answer before it is destroyed. */
export const REFUSAL_LINGER_MS = 2_000;
/** Refused connections still being answered at once; beyond this a refused connection is destroyed unanswered. */
export const MAX_PENDING_REFUSALS = 64;

/** The connection caps of one listener (see {@link createConnectionGate}). */
export interface ConnectionLimits {
  /** Connections the listener holds at once. Default {@link DEFAULT_MAX_CONNECTIONS}. */
  maxConnections?: number;
  /**
   * Connections one remote address holds on the listener at once. Default
   * {@link DEFAULT_MAX_CONNECTIONS_PER_CLIENT}. Connections without an address (a Unix socket) count only against
   * `maxConnections`.
   */
  maxConnectionsPerClient?: number;
}

/**
 * What a gate reads of a connection: a Node `net.Socket`/`tls.TLSSocket` fits, and so does an adapter over an
 * HTTP/2 session.
 */
export interface GatedConnection {
  /** The peer's address; undefined for a Unix socket. */
  readonly remoteAddress?: string;
  /** Registers a listener for the connection's `close` event. */
  once(event: "close", listener: () => void): unknown;
  /** Closes the connection at once. */
  destroy(): void;
}

/** The answer of {@link ConnectionGate.admit} for a connection over a cap. */
export interface Refusal {
  /** `ResourceExhausted`, naming the cap (`limit`) and its value (`max`): what the connection should be told. */
  readonly error: ModelwireError;
  /**
   * True: answer `error` on the connection (in its protocol) and close it; the gate destroys it after
   * {@link REFUSAL_LINGER_MS} in any case. False: too many refusals are being answered; it was destroyed.
   */
  readonly answer: boolean;
}

/** Counts one listener's connections per client and refuses those over a cap. */
export interface ConnectionGate {
  /** Counts `conn` until it closes and returns undefined, or refuses it (not counted) when a cap is reached. */
  admit(conn: GatedConnection): Refusal | undefined;
  /** Connections admitted and still open. */
  readonly open: number;
  /** Connections refused since the gate was created. */
  readonly refused: number;
  /** The caps in force. */
  readonly limits: Required<ConnectionLimits>;
}

/**
 * Checks connection limits and fills in the defaults; throws `InvalidArgument` naming the field for a value that is
 * not a positive integer.
 */
export function resolveConnectionLimits(limits: ConnectionLimits = {}): Required<ConnectionLimits> {
  const int = (field: keyof ConnectionLimits, def: number) => {
    const v = limits[field] ?? def;
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new ModelwireError(`${field} must be a positive integer, got ${v}`, Code.InvalidArgument, { field });
    }
    return v;
  };
  return {
    maxConnections: int("maxConnections", DEFAULT_MAX_CONNECTIONS),
    maxConnectionsPerClient: int("maxConnectionsPerClient", DEFAULT_MAX_CONNECTIONS_PER_CLIENT),
  };
}

/** `::ffff:127.0.0.1` and `127.0.0.1` are one client. */
function clientKey(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/**
 * Creates the connection gate of one listener: a connection over `maxConnections`, or over
 * `maxConnectionsPerClient` from its remote address, is refused with a `ResourceExhausted` error the listener
 * answers in its own protocol, so one client cannot use up the port's connections (with the idle timeouts, which
 * close what it holds without using it).
 */
export function createConnectionGate(limits: ConnectionLimits = {}): ConnectionGate {
  const resolved = resolveConnectionLimits(limits);
  const perClient = new Map<string, number>();
  let open = 0;
  let refused = 0;
  let pendingRefusals = 0;

  const refuse = (conn: GatedConnection, message: string, limit: keyof ConnectionLimits): Refusal => {
    refused++;
    const max = resolved[limit];
    const error = new ModelwireError(`${message} (limit ${max}, ${limit})`, Code.ResourceExhausted, {
      limit,
      max: String(max),
    });
    if (pendingRefusals >= MAX_PENDING_REFUSALS) {
      conn.destroy();
      return { error, answer: false };
    }
    pendingRefusals++;
    const timer = setTimeout(() => conn.destroy(), REFUSAL_LINGER_MS);
    timer.unref?.();
    conn.once("close", () => {
      pendingRefusals--;
      clearTimeout(timer);
    });
    return { error, answer: true };
  };

  return {
    admit(conn) {
      if (open >= resolved.maxConnections) {
        return refuse(conn, "too many connections on this port", "maxConnections");
      }
      const key = conn.remoteAddress === undefined ? undefined : clientKey(conn.remoteAddress);
      const held = key === undefined ? 0 : (perClient.get(key) ?? 0);
      if (key !== undefined && held >= resolved.maxConnectionsPerClient) {
        return refuse(conn, `too many connections from ${key} on this port`, "maxConnectionsPerClient");
      }
      open++;
      if (key !== undefined) perClient.set(key, held + 1);
      conn.once("close", () => {
        open--;
        if (key === undefined) return;
        const n = (perClient.get(key) ?? 1) - 1;
        if (n === 0) perClient.delete(key);
        else perClient.set(key, n);
      });
      return undefined;
    },
    get open() {
      return open;
    },
    get refused() {
      return refused;
    },
    limits: resolved,
  };
}
