import {
  Code as ConnectCode,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createContextKey,
  type Interceptor,
} from "@connectrpc/connect";
import { createAsyncIterable, readAllBytes, type UniversalHandler } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorFromJsonBytes, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { Code } from "@modelwire/core";
import { toConnectError } from "./errors.js";
import { decodeError } from "./grpc-wire.js";

// connect-es 2.1.1 answers a Connect unary call whose binary request message protobuf cannot decode with
// INTERNAL (HTTP 500): its binary parse hard-codes Code.Internal, before any interceptor runs. The Connect protocol's
// reference server (connect-go) and our fast paths answer INVALID_ARGUMENT (HTTP 400) — the client sent bad bytes.
// gRPC and gRPC-Web keep INTERNAL, as gRPC's status table says for "error parsing request proto".
//
// The fix is a thin wrapper around connect-node's handlers: a call is marked in its context values once its
// message was parsed (an interceptor, which connect-es only runs after a successful parse); a Connect unary
// response of a call never marked, with the JSON error `internal` / "parse binary: …" that connect-es writes for a
// failed parse, is rewritten to the INVALID_ARGUMENT answer the fast path gives for the same bytes (status, error
// JSON and message byte for byte). Errors of the implementation (the call was parsed) are never touched. A Connect
// streaming call (Generate, Chat) parses its messages after the interceptors, so there the interceptor converts the
// parse error itself.

/** Whether connect-es parsed the call's request message (the call reached the interceptors). */
interface ParseMark {
  parsed: boolean;
}

/** Default for calls that got no mark (never rewritten). */
const PARSE_MARK = createContextKey<ParseMark>({ parsed: true }, { description: "modelwire request parsed" });

/** Adds a fresh mark to a call's context values (the adapter's `contextValues` calls this per request). */
export function withParseMark(values: ContextValues): ContextValues {
  return values.set(PARSE_MARK, { parsed: false });
}

/**
 * The interceptor that marks a call parsed; put it first, so that a call refused by a later one still counts. A
 * unary call's message is parsed before interceptors run. A streaming call's request messages are parsed as the
 * implementation pulls them, through this interceptor: on the Connect protocol a parse failure is turned into the
 * fast path's INVALID_ARGUMENT there (gRPC and gRPC-Web keep connect-es's INTERNAL).
 */
export const markParsed: Interceptor = (next) => (req) => {
  if (!req.stream) {
    req.contextValues.get(PARSE_MARK).parsed = true;
    return next(req);
  }
  if (!CONNECT_STREAM.test(req.header.get("content-type") ?? "")) return next(req);
  return next({ ...req, message: invalidArgumentOnParse(req.message, req.method.input.typeName) });
};

const CONNECT_STREAM = /^application\/connect\+proto$/i;

async function* invalidArgumentOnParse<T>(messages: AsyncIterable<T>, typeName: string): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (e) {
    throw (e instanceof ConnectError && asInvalidArgument(e, typeName)) || e;
  }
}

/** The fast path's INVALID_ARGUMENT for connect-es's parse error `e`, or undefined when `e` is not one. */
function asInvalidArgument(e: ConnectError, typeName: string): ConnectError | undefined {
  if (e.code !== ConnectCode.Internal || !e.rawMessage.startsWith(PARSE_BINARY)) return undefined;
  return toConnectError(
    decodeError(typeName, new Error(e.rawMessage.slice(PARSE_BINARY.length)), Code.InvalidArgument),
  );
}

/** Wraps every handler of `router` (call after the services are added, inside the adapter's `routes`). */
export function rewriteParseErrors(router: ConnectRouter): void {
  router.handlers.forEach((h, i) => {
    router.handlers[i] = wrapHandler(h);
  });
}

const PARSE_BINARY = "parse binary: ";

function wrapHandler(h: UniversalHandler): UniversalHandler {
  const typeName = h.method.input.typeName;
  const wrapped = async (req: Parameters<UniversalHandler>[0]) => {
    const res = await h(req);
    if (res.status !== 500 || req.contextValues?.get(PARSE_MARK).parsed !== false || res.body === undefined) {
      return res;
    }
    const header = res.header;
    // Only the Connect unary error JSON, uncompressed (an error body is only compressed from 1 KiB on).
    if (header?.get("content-type") !== "application/json" || header.has("content-encoding")) return res;
    // connect-es built this body in memory (one chunk); no limit needed beyond it.
    const bytes = await readAllBytes(res.body, Number.MAX_SAFE_INTEGER);
    const error = errorFromJsonBytes(bytes, undefined, toConnectError(new Error("unreadable error body")));
    const fixed = asInvalidArgument(error, typeName);
    if (!fixed) return { ...res, body: createAsyncIterable([bytes]) };
    const body = errorToJsonBytes(fixed, undefined);
    const fixedHeader = new Headers(header);
    fixedHeader.set("content-length", String(body.byteLength));
    return { ...res, status: codeToHttpStatus(fixed.code), header: fixedHeader, body: createAsyncIterable([body]) };
  };
  return Object.assign(wrapped, {
    protocolNames: h.protocolNames,
    allowedMethods: h.allowedMethods,
    supportedContentType: h.supportedContentType,
    requestPath: h.requestPath,
    service: h.service,
    method: h.method,
  });
}
