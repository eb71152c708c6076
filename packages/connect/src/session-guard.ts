import { type Code as ConnectCode, ConnectError } from "@connectrpc/connect";
import type { Http2SessionManager } from "@connectrpc/connect-node";
import { resetStreamError } from "./h2-reset.js";

/**
 * Works around connect-node 2.1.1 on every stream its session manager opens (ours and connect-node's calls):
 *
 * - when a session was destroyed with an error (e.g. a PING timeout) whose 'error' event is still pending because
 *   the socket has not closed yet, `Http2SessionManager.abort()` and the state change remove the manager's 'error'
 *   listener without adding its usual no-op one, and the late event becomes an uncaught exception: every session
 *   that carries a request gets a no-op 'error' listener (calls still see the error through their streams);
 * - a stream that closes without a gRPC status must fail as gRPC's PROTOCOL-HTTP2 spec says, where connect-node
 *   would wait forever (RST_STREAM NO_ERROR before any response) or report CANCELLED (the connection failed):
 *   such a stream gets an 'error' event with INTERNAL or UNAVAILABLE before connect-node's own 'close' handler
 *   runs. (Codes of a peer's RST_STREAM that connect-node reports as INTERNAL are mapped in `fromConnectError`.)
 */
export function guardSessionManager(sm: Http2SessionManager): void {
  const guarded = new WeakSet<object>();
  const request = sm.request.bind(sm);
  sm.request = async (...args: Parameters<Http2SessionManager["request"]>) => {
    const stream = await request(...args);
    const session = stream.session;
    if (session && !guarded.has(session)) {
      guarded.add(session);
      session.on("error", () => {});
    }
    let responded = false;
    let status = false;
    stream.once("response", (h) => {
      responded = true;
      if (h["grpc-status"] !== undefined) status = true;
    });
    stream.once("trailers", () => {
      status = true;
    });
    stream.once("close", () => {
      if (status || stream.listenerCount("error") === 0) return;
      const lost = session?.destroyed ?? false;
      if (!lost && (responded || stream.rstCode !== 0)) return;
      const e = resetStreamError(stream.rstCode, lost);
      stream.emit("error", new ConnectError(e.rawMessage, e.code as number as ConnectCode, undefined, undefined, e));
    });
    return stream;
  };
}
