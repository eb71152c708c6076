import type { IncomingMessage, ServerResponse } from "node:http";
import {
  Code,
  createCallSignal,
  ModelwireError,
  type ServerObserver,
  type StallTarget,
  type StallWatch,
  socketStallTarget,
  type WriteBudget,
} from "@modelwire/core";
import type { CallContext, CallRoute, ErrorWriter } from "./route-table.js";
import { BodyError, drainBody, parseJsonBody, readBody } from "./server-body.js";
import type { ServerLifecycle } from "./server-lifecycle.js";

/** The request header carrying a call's remaining time in milliseconds (set by modelwire's client). */
export const TIMEOUT_HEADER = "x-modelwire-timeout-ms";

/** What {@link createCallRunner} needs. */
export interface CallRunnerOptions {
  observer: ServerObserver;
  lifecycle: ServerLifecycle;
  /** Largest request body accepted (413 beyond). */
  maxBodyBytes: number;
  /** Time allowed to receive the body once headers are in (408 after). */
  bodyTimeoutMs: number;
  /** Cuts calls whose client stopped reading the reply (see `createStallWatch`). */
  stallWatch: StallWatch;
  /** Counts the bytes queued for each reply; cuts the largest when the sum is over budget (see `createWriteBudget`). */
  writeBudget: WriteBudget;
}

/** Serves one request on a call route, with the route's path parameters and its group's error writer. */
export type CallRunner = (
  req: IncomingMessage,
  res: ServerResponse,
  route: CallRoute,
  params: Readonly<Record<string, string>>,
  sendError: ErrorWriter,
  protocol?: string,
) => Promise<void>;

/**
 * Runs call routes. Each call is observed (under its group's protocol label, `"http"` by default), counted in flight, and gets an engine context whose
 * signal aborts when the client disconnects, when the {@link TIMEOUT_HEADER} deadline passes, or at shutdown.
 * A handler's error is answered with `sendError` before the reply began (a body error with its own status and
 * `Connection: close`, or a dropped socket when the client is gone); after it began the reply is ended.
 */
export function createCallRunner(options: CallRunnerOptions): CallRunner {
  const { observer, lifecycle, maxBodyBytes, bodyTimeoutMs, stallWatch, writeBudget } = options;

  return async function runCall(req, res, route, params, sendError, protocol = "http") {
    const call = observer.callStarted(protocol, route.name);
    const controller = new AbortController();
    const callSignal = createCallSignal({
      signal: controller.signal,
      timeoutMs: parseTimeout(req.headers[TIMEOUT_HEADER]),
    });
    const onClose = () => {
      if (!res.writableFinished) controller.abort(new ModelwireError("client disconnected", Code.Canceled));
    };
    res.on("close", onClose);
    const unwatch = stallWatch.watch(stallTarget(res), (err) => onStall(res, controller, err, stallWatch));
    // Counted until the reply is written out or the connection goes (not only while the handler runs: an ended
    // reply's last bytes may still wait for the reader). Over budget, cut as a stall is: the same answer.
    const target = stallTarget(res);
    const unbudget = writeBudget.watch(target, (err) => onStall(res, controller, err, stallWatch));
    res.once("finish", unbudget);
    res.once("close", unbudget);
    lifecycle.callStarted(controller);
    let failure: ModelwireError | undefined;
    try {
      const context: CallContext = {
        ctx: { signal: callSignal.signal, deadline: callSignal.deadline, requestMetadata: (k) => headerValue(req, k) },
        observer: call,
        json: async () => parseJsonBody(await readBody(req, maxBodyBytes, bodyTimeoutMs)),
        params,
      };
      if (route.method === "GET") drainBody(req);
      await route.handler(req, res, context);
    } catch (e) {
      failure = e instanceof BodyError ? e : ModelwireError.from(e, Code.Internal);
      if (e instanceof BodyError) {
        if (e.status === 0) res.destroy();
        else sendError(res, e, e.status, { Connection: "close" });
      } else if (!res.headersSent) {
        sendError(res, failure);
      } else if (!res.writableEnded) {
        res.end();
      }
    } finally {
      callSignal.dispose();
      unwatch();
      res.off("close", onClose);
      lifecycle.callEnded(controller, res);
      call.end(failure);
    }
  };
}

/** A response as the stall watch sees it: its socket's queued bytes and the bytes the kernel took. */
function stallTarget(res: ServerResponse): StallTarget {
  const socket = res.socket;
  return socket ? socketStallTarget(socket) : { pending: () => 0 };
}

/**
 * A call's client stopped reading (or, over the write budget, is the one most behind): the engine call is aborted
 * with the error (its slot is free at once; a
 * stream ends with that error as its last line, queued behind what the client has not read). The response stays
 * watched: a client that reads again gets everything and the error line; one that still reads nothing for another
 * stall period has its connection destroyed, so the reply never looks complete and its bytes are freed.
 */
function onStall(res: ServerResponse, controller: AbortController, err: ModelwireError, watch: StallWatch): void {
  controller.abort(err);
  const stop = watch.watch(stallTarget(res), () => res.destroy());
  res.once("finish", stop);
  res.once("close", stop);
}

/** Reads the remaining-time header; a malformed value is ignored (no deadline). */
function parseTimeout(v: string | string[] | undefined): number | undefined {
  if (typeof v !== "string" || !/^\d{1,12}$/.test(v)) return undefined;
  return Number(v);
}

/** One request header as the engine's request metadata (a repeated header reads as its first value). */
function headerValue(req: IncomingMessage, key: string): string | undefined {
  const v = req.headers[key];
  return Array.isArray(v) ? v[0] : v;
}
