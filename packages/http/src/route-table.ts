import type { IncomingMessage, ServerResponse } from "node:http";
import { type CallObserver, Code, ModelwireError } from "@modelwire/core";
import type { EngineContext } from "@modelwire/engine";

/** What a call route's handler gets for one request. */
export interface CallContext {
  /** The engine context: aborted on client disconnect, deadline, or shutdown after the grace period. */
  ctx: EngineContext;
  /** The observer of this call (count content chunks with `chunk()`; the end is reported for the handler). */
  observer: CallObserver;
  /** Reads and parses the JSON body (size and time limits apply; bad bodies throw coded errors). */
  json(): Promise<unknown>;
  /** Values of the route's `:name` path segments, percent-decoded (empty for an exact path). */
  params: Readonly<Record<string, string>>;
}

/** Serves one call; errors it throws are answered by its group's {@link ErrorWriter}. */
export type CallHandler = (req: IncomingMessage, res: ServerResponse, call: CallContext) => Promise<void>;

/** Answers an error before the reply began, in a route group's error shape (`status` and headers override). */
export type ErrorWriter = (
  res: ServerResponse,
  err: ModelwireError,
  status?: number,
  headers?: Record<string, string>,
) => void;

/** `GET` routes also answer `HEAD`. */
export type RouteMethod = "GET" | "POST";

/** A route served as a call: observed, counted in flight, given a deadline and an engine context. */
export interface CallRoute {
  method: RouteMethod;
  /** The method name the observer is told (`"generate"`, `"chat"`, `"list"` ...). */
  name: string;
  handler: CallHandler;
}

/** A route answered at once, outside any call (no observer event, no in-flight count), e.g. Ollama's `GET /`. */
export interface StaticRoute {
  method: RouteMethod;
  respond(req: IncomingMessage, res: ServerResponse): void;
}

/** One route of a {@link RouteGroup}. */
export type Route = CallRoute | StaticRoute;

/**
 * A group of routes sharing one error shape: Ollama's `/api/*`, and any API added beside it on the same listener.
 */
export interface RouteGroup {
  /** Routes by path: exact (`/api/chat`) or with `:name` segments (`/v1/models/:model`, one segment each). */
  routes: Readonly<Record<string, Route>>;
  /** Answers this group's failed calls before their reply began. Default: the table's default writer. */
  sendError?: ErrorWriter;
  /** The protocol label its calls are observed under (metrics). Default `"http"`. */
  protocol?: string;
  /**
   * A path prefix (`/v1/`) the group owns: a path under it that matches no route, and the server's refusals of
   * such a path before routing (401, 503), are answered with this group's `sendError`.
   */
  prefix?: string;
}

/** A path resolved by a {@link RouteTable}. */
export interface RouteMatch {
  route: Route;
  params: Readonly<Record<string, string>>;
  sendError: ErrorWriter;
  /** The group's protocol label. */
  protocol: string;
}

/** Resolves a request path (without its query) to a route. */
export interface RouteTable {
  match(path: string): RouteMatch | undefined;
  /** The error writer for a path: its group's when a group's `prefix` covers it, else the default one. */
  errorWriterFor(path: string): ErrorWriter;
}

/** The methods a route answers, as an `Allow` header lists them. */
export function allowedMethods(route: Route): readonly string[] {
  return route.method === "GET" ? GET_HEAD : POST_ONLY;
}

const GET_HEAD = ["GET", "HEAD"];
const POST_ONLY = ["POST"];
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

interface Pattern {
  /** Literal segments, or the parameter's name (prefixed with `:`) where a value goes. */
  segments: string[];
  match: RouteMatch;
}

/**
 * Builds a {@link RouteTable} from groups; exact paths are one map lookup, patterns are tried in the order given.
 * A path listed twice (in one group or two) is a programming error and throws.
 */
export function createRouteTable(groups: readonly RouteGroup[], defaultError: ErrorWriter): RouteTable {
  const exact = new Map<string, RouteMatch>();
  const patterns: Pattern[] = [];
  const seen = new Set<string>();
  const prefixed: Array<[prefix: string, writer: ErrorWriter]> = [];
  for (const group of groups) {
    const sendError = group.sendError ?? defaultError;
    const protocol = group.protocol ?? "http";
    if (group.prefix !== undefined) prefixed.push([group.prefix, sendError]);
    for (const [path, route] of Object.entries(group.routes)) {
      if (!path.startsWith("/")) throw new ModelwireError(`route path must start with /: ${path}`, Code.Internal);
      const shape = path.replace(/:[^/]+/g, ":");
      if (seen.has(shape)) throw new ModelwireError(`route ${path} is defined twice`, Code.Internal);
      seen.add(shape);
      if (path.includes("/:")) {
        patterns.push({ segments: path.split("/"), match: { route, params: NO_PARAMS, sendError, protocol } });
      } else {
        exact.set(path, { route, params: NO_PARAMS, sendError, protocol });
      }
    }
  }
  return {
    match(path) {
      const hit = exact.get(path);
      if (hit !== undefined || patterns.length === 0) return hit;
      const parts = path.split("/");
      for (const p of patterns) {
        const params = matchSegments(p.segments, parts);
        if (params) return { ...p.match, params };
      }
      return undefined;
    },
    errorWriterFor(path) {
      for (const [prefix, writer] of prefixed) if (path.startsWith(prefix)) return writer;
      return defaultError;
    },
  };
}

/** The parameters when `parts` fits `segments`, else undefined (an empty or undecodable value does not fit). */
function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    if (s.startsWith(":")) {
      if (parts[i] === "") return undefined;
      try {
        params[s.slice(1)] = decodeURIComponent(parts[i]);
      } catch {
        return undefined;
      }
    } else if (s !== parts[i]) return undefined;
  }
  return params;
}
