import { type ClientStats, Code, ModelwireError, setLongTimeout } from "@modelwire/core";
import { raceSignal } from "./call.js";
import { ClientConnection, type ConnectionSettings } from "./client-connection.js";
import type { ReconnectOptions } from "./client-options.js";

interface Slot {
  conn: ClientConnection | undefined;
  connecting: Promise<ClientConnection> | undefined;
  failures: number;
  /** Connections this slot has had (a later one is a reconnect). */
  connects: number;
}

/** What the pool tells the client about. */
export interface PoolEvents {
  /** A stream ended on some connection: a queued call may start now. Called on every stream end (hot path). */
  slotFree(): void;
  /** A connection came up, went away (`cause`: why) or started draining: queued calls may start or must fail. */
  changed(cause?: ModelwireError): void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => {
    setLongTimeout(r, ms).unref();
  });
}

const closedError = () => new ModelwireError("MCP client closed", Code.Canceled);

/**
 * The client's connections: `poolSize` slots, each connected lazily on first use, reconnected in the background with
 * exponential backoff and "equal jitter" after it dies (unless `reconnect` is false or `maxAttempts` failed in a
 * row). A busy pool grows: while some slot has no connection and every ready one is carrying streams, that slot
 * starts connecting.
 */
export class ConnectionPool {
  private readonly slots: Slot[];
  /** Every connection not yet gone (a draining one is off its slot but still here). */
  private readonly all = new Set<ClientConnection>();
  private closed = false;
  /** Calls waiting for a connection to come up (for `stats().queued`). */
  waiting = 0;
  private reconnects = 0;
  private connectsDone = 0;
  private rr = 0;
  /** Connection attempts already watched for failure (see {@link ConnectionPool.ensureForQueue}). */
  readonly watched = new WeakSet<Promise<ClientConnection>>();
  private readonly onSlotFree: () => void;

  constructor(
    private readonly settings: ConnectionSettings,
    size: number,
    private readonly reconnect: Required<ReconnectOptions> | false,
    private readonly events: PoolEvents,
  ) {
    this.slots = Array.from({ length: size }, () => ({
      conn: undefined,
      connecting: undefined,
      failures: 0,
      connects: 0,
    }));
    this.onSlotFree = () => events.slotFree();
  }

  private backoff(failures: number): number {
    if (failures === 0) return 0;
    const r = this.reconnect || { initialDelayMs: 100, maxDelayMs: 5000 };
    const base = Math.min(r.maxDelayMs, r.initialDelayMs * 2 ** (failures - 1));
    return base / 2 + Math.random() * (base / 2); // "equal jitter"
  }

  private ensureConnecting(slot: Slot): Promise<ClientConnection> {
    if (slot.connecting) return slot.connecting;
    const delay = this.backoff(slot.failures);
    const attempt = (async () => {
      if (delay > 0) await sleep(delay);
      if (this.closed) throw closedError();
      const conn = new ClientConnection(this.settings);
      conn.onSlotFree = this.onSlotFree;
      this.all.add(conn);
      await conn.open(
        (c, err) => this.onGone(slot, c, err),
        (c) => {
          if (slot.conn === c) slot.conn = undefined;
          this.events.changed();
        },
      );
      if (this.closed) {
        conn.close();
        throw closedError();
      }
      // A reconnect is a slot's second or later connection (replacing a lost or drained one), not another slot's
      // first.
      if (slot.connects++ > 0) this.reconnects++;
      this.connectsDone++;
      slot.conn = conn;
      slot.failures = 0;
      queueMicrotask(() => this.events.changed());
      return conn;
    })();
    slot.connecting = attempt;
    attempt.then(
      () => {
        slot.connecting = undefined;
      },
      () => {
        slot.connecting = undefined;
        slot.failures++;
      },
    );
    return attempt;
  }

  private onGone(slot: Slot, c: ClientConnection, err: ModelwireError): void {
    this.all.delete(c);
    if (slot.conn === c) {
      slot.conn = undefined;
      this.backgroundReconnect(slot);
    }
    this.events.changed(err);
  }

  private backgroundReconnect(slot: Slot): void {
    if (this.closed || !this.reconnect || slot.failures >= this.reconnect.maxAttempts) return;
    this.ensureConnecting(slot).catch(() => this.backgroundReconnect(slot));
  }

  private wait(p: Promise<ClientConnection>, signal: AbortSignal): Promise<ClientConnection> {
    this.waiting++;
    return raceSignal(p, signal).finally(() => {
      this.waiting--;
    });
  }

  /**
   * A ready connection (least streams first), or a promise of one (rejected with the signal's reason if it fires
   * first). Grows a busy pool (see the class comment).
   */
  acquire(signal: AbortSignal): ClientConnection | Promise<ClientConnection> {
    if (this.closed) throw closedError();
    let best: ClientConnection | undefined;
    let idle: Slot | undefined;
    for (const slot of this.slots) {
      const c = slot.conn;
      if (c?.ready) {
        if (!best || c.active < best.active) best = c;
      } else if (!idle && !slot.connecting) idle = slot;
    }
    if (best && best.active === 0) return best;
    if (idle) {
      const p = this.ensureConnecting(idle);
      if (best) {
        p.catch(() => {});
        return best;
      }
      return this.wait(p, signal);
    }
    if (best) return best;
    // Every slot is connecting: wait on them in turn.
    const connecting = this.slots.filter((s) => s.connecting);
    const slot = connecting[this.rr++ % connecting.length] ?? this.slots[0];
    return this.wait(this.ensureConnecting(slot), signal);
  }

  /** A ready connection with a free stream slot (least streams first), if any. */
  connectionWithSlot(): ClientConnection | undefined {
    let best: ClientConnection | undefined;
    for (const slot of this.slots) {
      const c = slot.conn;
      if (c?.hasSlot && (!best || c.active < best.active)) best = c;
    }
    return best;
  }

  /** Whether some connection is ready. */
  anyReady(): boolean {
    return this.slots.some((s) => s.conn?.ready);
  }

  /**
   * For calls that wait in the queue: makes sure a connection is on its way (a dead or draining one is replaced; in
   * a pool, idle slots connect), else the queue would wait forever. Says whether one is ready and which attempt
   * (if any) to wait for.
   */
  ensureForQueue(): { ready: boolean; connecting: Promise<ClientConnection> | undefined } {
    let ready = false;
    let connecting: Promise<ClientConnection> | undefined;
    let idle: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.conn?.ready) ready = true;
      else if (slot.connecting) connecting ??= slot.connecting;
      else if (!idle) idle = slot; // no connection, or one that can take no more streams (ids used up, closed)
    }
    if (idle && (!(ready || connecting) || this.slots.length > 1)) connecting ??= this.ensureConnecting(idle);
    return { ready, connecting };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The pool's figures, with `queued` calls waiting in the client's queue added to those waiting here. */
  stats(transport: string, queued: number): ClientStats {
    let open = 0;
    let active = 0;
    let idle = 0;
    let rtt: number | undefined;
    let bytesIn = 0;
    let bytesOut = 0;
    for (const c of this.all) {
      if (c.closed) continue;
      open++;
      active += c.active;
      if (c.active === 0) idle++;
      if (c.rttMs !== undefined) rtt = c.rttMs;
      bytesIn += c.bytesIn;
      bytesOut += c.bytesOut;
    }
    const first = this.slots[0];
    const state = this.closed
      ? "closed"
      : first.conn
        ? first.conn.stateName
        : first.connecting
          ? "connecting"
          : first.failures > 0
            ? "reconnecting"
            : "idle";
    const extra: Record<string, number | string> = { state, bytesIn, bytesOut };
    if (rtt !== undefined) extra.rttMs = Math.round(rtt * 1000) / 1000;
    return {
      transport,
      open,
      active,
      idle,
      queued: this.waiting + queued,
      opened: this.connectsDone,
      reconnects: this.reconnects,
      extra,
    };
  }

  /** Closes every connection; later calls fail with `Canceled`. */
  close(): void {
    this.closed = true;
    for (const c of [...this.all]) c.close();
    this.all.clear();
    for (const s of this.slots) s.conn = undefined;
  }
}
