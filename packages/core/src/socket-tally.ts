/**
 * The parts of a socket a {@link SocketTally} reads. Node's `net.Socket` (and `tls.TLSSocket`) fit; the type is
 * structural so this package needs no `node:` import.
 */
export interface TalliedSocket {
  /** Bytes received so far. */
  readonly bytesRead: number;
  /** Bytes sent so far. */
  readonly bytesWritten: number;
  /** Registers a listener for the socket's `close` event. */
  once(event: "close", listener: () => void): unknown;
}

/** Byte totals of every socket a tally has seen, open or closed. */
export interface SocketBytes {
  /** Bytes read from all sockets, including closed ones. */
  bytesIn: number;
  /** Bytes written to all sockets, including closed ones. */
  bytesOut: number;
}

/**
 * Socket byte accounting shared by the servers and clients: sockets are added as they connect; when one closes its
 * final counts move into a closed sum, so totals include every socket ever added without keeping closed ones.
 */
export interface SocketTally<S extends TalliedSocket> {
  /** Counts `socket` from now on and returns it. */
  add(socket: S): S;
  /** The sockets open now (a socket leaves before any `close` listener registered after {@link add} runs). */
  readonly open: ReadonlySet<S>;
  /** How many sockets were added since the tally was created. */
  readonly added: number;
  /** Byte totals now: the closed sockets' final counts plus the open sockets' current ones. */
  bytes(): SocketBytes;
}

/**
 * Creates a {@link SocketTally}. `onClose` runs after a closed socket has left {@link SocketTally.open} and its
 * bytes have been summed (a server's drain check).
 */
export function createSocketTally<S extends TalliedSocket>(onClose?: (socket: S) => void): SocketTally<S> {
  const open = new Set<S>();
  let added = 0;
  let closedIn = 0;
  let closedOut = 0;
  return {
    add(socket) {
      added++;
      open.add(socket);
      socket.once("close", () => {
        open.delete(socket);
        closedIn += socket.bytesRead;
        closedOut += socket.bytesWritten;
        onClose?.(socket);
      });
      return socket;
    },
    open,
    get added() {
      return added;
    },
    bytes() {
      let bytesIn = closedIn;
      let bytesOut = closedOut;
      for (const s of open) {
        bytesIn += s.bytesRead;
        bytesOut += s.bytesWritten;
      }
      return { bytesIn, bytesOut };
    },
  };
}
