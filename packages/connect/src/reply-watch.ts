import type * as http from "node:http";
import * as http2 from "node:http2";
import { type QueuedBytes, type StallWatch, socketStallTarget, type WriteBudget } from "@modelwire/core";

/**
 * Watches one call's reply on every path of the Connect port (fast paths and connect-node alike) for a reader that
 * stopped (the stall watch) and counts its queued bytes in the write budget; either cuts it the same way. HTTP/2:
 * for the stall watch the stream counts as waiting only while its writer is blocked (at least its high water mark
 * queued, so nothing more is written until 'drain'); for the budget its queued bytes count. A cut resets the stream
 * with ENHANCE_YOUR_CALM, which frees what it queued and which gRPC clients report as RESOURCE_EXHAUSTED, and its
 * 'close' aborts the engine call. HTTP/1.1: the socket's bytes are watched and a cut closes the connection (the reply
 * never looks complete).
 */
export function watchReply(
  watch: StallWatch,
  budget: WriteBudget,
  res: http.ServerResponse | http2.Http2ServerResponse,
): void {
  let cut: () => void;
  let queued: QueuedBytes;
  let stallTarget: Parameters<StallWatch["watch"]>[0];
  if (res instanceof http2.Http2ServerResponse) {
    const stream = res.stream;
    cut = () => {
      if (!stream.closed && !stream.destroyed) stream.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    };
    queued = { pending: () => stream.writableLength };
    stallTarget = {
      pending: () => (stream.writableLength >= stream.writableHighWaterMark ? stream.writableLength : 0),
      onDrain: (f) => stream.on("drain", f),
      offDrain: (f) => stream.off("drain", f),
    };
  } else {
    const socket = res.socket;
    if (!socket) return;
    cut = () => res.destroy();
    stallTarget = socketStallTarget(socket);
    queued = stallTarget;
  }
  const unwatch = watch.watch(stallTarget, cut);
  const unbudget = budget.watch(queued, cut);
  res.once("close", () => {
    unwatch();
    unbudget();
  });
}
