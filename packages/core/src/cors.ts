/**
 * Which web pages may call a modelwire listener from a browser, decided as Ollama decides
 * it (ollama/ollama `envconfig/config.go` `AllowedOrigins`, applied by gin-contrib/cors with wildcards on). Pure:
 * the servers (the HTTP port, the Connect port) turn a {@link CorsDecision} into a response.
 *
 * An origin list is `OLLAMA_ORIGINS`-shaped: comma-separated entries, each an exact origin (`https://app.example`),
 * `*` (every origin), or a pattern with one `*` standing for any text (`http://localhost:*`,
 * `https://*.example.com`, `app://*`). Ollama's own defaults are always added ({@link OLLAMA_DEFAULT_ORIGINS}).
 *
 * @packageDocumentation
 */
import { Code } from "./code.js";
import { ModelwireError } from "./error.js";

/**
 * The origins Ollama allows without any setting: localhost, 127.0.0.1 and 0.0.0.0, over http and https, with or
 * without a port, and the app schemes of its desktop app, file pages, Tauri and VS Code webviews.
 */
export const OLLAMA_DEFAULT_ORIGINS: readonly string[] = Object.freeze([
  ...["localhost", "127.0.0.1", "0.0.0.0"].flatMap((host) => [
    `http://${host}`,
    `https://${host}`,
    `http://${host}:*`,
    `https://${host}:*`,
  ]),
  "app://*",
  "file://*",
  "tauri://*",
  "vscode-webview://*",
  "vscode-file://*",
]);

/** Schemes an exact origin entry may have (gin-contrib/cors's defaults plus the browser-extension ones Ollama allows). */
const EXACT_SCHEMES = [
  "http://",
  "https://",
  "chrome-extension://",
  "safari-extension://",
  "moz-extension://",
  "ms-browser-extension://",
];

/** Longest origin list text accepted, and most entries. */
const MAX_LIST_CHARS = 64 * 1024;
const MAX_ENTRIES = 1024;

/**
 * Parses an `OLLAMA_ORIGINS`-shaped list (comma-separated; blanks around entries and empty entries ignored) into
 * its entries, lower-cased. `option` names the setting in errors. Throws `InvalidArgument` for what Ollama refuses
 * at start (more than one `*` in an entry; an exact entry without a scheme it knows) and for a regular-expression
 * entry (`/…/`), which gin-contrib/cors would accept but modelwire does not.
 */
export function parseOriginList(text: string, option = "origins"): string[] {
  if (text.length > MAX_LIST_CHARS) throw bad(option, `origin list longer than ${MAX_LIST_CHARS} characters`);
  const out: string[] = [];
  for (const raw of text.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (out.length === MAX_ENTRIES) throw bad(option, `more than ${MAX_ENTRIES} origins`);
    checkEntry(entry, option);
    out.push(entry);
  }
  return out;
}

function checkEntry(entry: string, option: string): void {
  const stars = entry.split("*").length - 1;
  if (stars > 1) throw bad(option, `origin ${quote(entry)} has more than one *`);
  if (entry.length > 2 && entry.startsWith("/") && entry.endsWith("/")) {
    throw bad(option, `origin ${quote(entry)}: regular-expression origins are not supported`);
  }
  if (stars === 0 && !EXACT_SCHEMES.some((s) => entry.startsWith(s))) {
    throw bad(option, `origin ${quote(entry)} must contain * or start with ${EXACT_SCHEMES.join(", ")}`);
  }
}

function bad(option: string, message: string): ModelwireError {
  return new ModelwireError(`${option}: ${message}`, Code.InvalidArgument, { field: option });
}

function quote(s: string): string {
  return JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);
}

/** Decides whether an `Origin` header value is allowed. */
export interface OriginMatcher {
  /** Whether `origin` (an `Origin` header value) is allowed; compared case-insensitively. */
  allows(origin: string): boolean;
  /** True when every origin is (an entry `*`): responses then say `Access-Control-Allow-Origin: *`. */
  readonly any: boolean;
}

/**
 * A matcher over entries (as {@link parseOriginList} returns them; checked again here). Exact entries are one set
 * lookup; a pattern with one `*` matches any text in its place, as gin-contrib/cors's wildcards do.
 */
export function createOriginMatcher(entries: readonly string[], option = "origins"): OriginMatcher {
  const exact = new Set<string>();
  const patterns: Array<[prefix: string, suffix: string]> = [];
  let any = false;
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    checkEntry(entry, option);
    if (entry === "*") any = true;
    const star = entry.indexOf("*");
    if (star === -1) exact.add(entry);
    else patterns.push([entry.slice(0, star), entry.slice(star + 1)]);
  }
  return {
    any,
    allows(origin) {
      if (any) return true;
      const o = origin.toLowerCase();
      if (exact.has(o)) return true;
      for (const [prefix, suffix] of patterns) {
        if (o.length >= prefix.length + suffix.length && o.startsWith(prefix) && o.endsWith(suffix)) return true;
      }
      return false;
    },
  };
}

/** Options of {@link createCorsPolicy}. */
export interface CorsPolicyOptions {
  /** Which origins may call. */
  origins: OriginMatcher;
  /** Request headers a page may send (`Access-Control-Allow-Headers` of a preflight answer). */
  allowHeaders: readonly string[];
  /** Response headers a page may read (`Access-Control-Expose-Headers`). Default none. */
  exposeHeaders?: readonly string[];
  /** How long a browser may cache a preflight answer, in seconds. Default 43200 (12 h, gin-contrib/cors's). */
  maxAgeSeconds?: number;
}

/** What a request needs, as {@link CorsPolicy.decide} sees it. */
export interface CorsRequest {
  method: string;
  /** The `Origin` header, if any. */
  origin: string | undefined;
  /** The `Host` header (`:authority` on HTTP/2), to tell a same-origin request that carries `Origin`. */
  host: string | undefined;
}

/**
 * The answer: `pass` (not a cross-origin request: serve it as usual), `refuse` (an origin not allowed: 403 without
 * CORS headers, as Ollama does), `preflight` (answer 204 with `headers`), or `actual` (serve it, adding `headers`).
 */
export type CorsDecision =
  | { kind: "pass" }
  | { kind: "refuse"; origin: string }
  | { kind: "preflight"; headers: Record<string, string> }
  | { kind: "actual"; headers: Record<string, string> };

/** A CORS policy of one listener. */
export interface CorsPolicy {
  /**
   * Decides a request. `methods` are the methods the path answers (a preflight lists them), e.g. `["POST"]`.
   * A preflight is an `OPTIONS` request with an `Origin`.
   */
  decide(request: CorsRequest, methods: readonly string[]): CorsDecision;
}

const PASS: CorsDecision = { kind: "pass" };

/** A CORS policy: preflight answers and actual-response headers as gin-contrib/cors writes them for Ollama. */
export function createCorsPolicy(options: CorsPolicyOptions): CorsPolicy {
  const { origins } = options;
  const allowHeaders = options.allowHeaders.join(", ");
  const exposeHeaders = (options.exposeHeaders ?? []).join(", ");
  const maxAge = String(options.maxAgeSeconds ?? 43_200);
  return {
    decide(request, methods) {
      const origin = request.origin;
      if (origin === undefined || origin === "") return PASS;
      if (request.host !== undefined && (origin === `http://${request.host}` || origin === `https://${request.host}`)) {
        return PASS; // same origin: a page's own fetch also sends Origin
      }
      if (!origins.allows(origin)) return { kind: "refuse", origin };
      const allowOrigin = origins.any ? "*" : origin;
      if (request.method === "OPTIONS") {
        const headers: Record<string, string> = {
          "Access-Control-Allow-Origin": allowOrigin,
          "Access-Control-Allow-Methods": [...methods, "OPTIONS"].join(", "),
          "Access-Control-Allow-Headers": allowHeaders,
          "Access-Control-Max-Age": maxAge,
        };
        if (!origins.any) headers.Vary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
        return { kind: "preflight", headers };
      }
      const headers: Record<string, string> = { "Access-Control-Allow-Origin": allowOrigin };
      if (exposeHeaders !== "") headers["Access-Control-Expose-Headers"] = exposeHeaders;
      if (!origins.any) headers.Vary = "Origin";
      return { kind: "actual", headers };
    },
  };
}

/**
 * The matcher of a listener that follows Ollama: its defaults plus `extra` entries (`--origins`,
 * `MODELWIRE_ORIGINS`, `OLLAMA_ORIGINS`-shaped).
 */
export function ollamaOrigins(extra: readonly string[] = [], option = "origins"): OriginMatcher {
  return createOriginMatcher([...extra, ...OLLAMA_DEFAULT_ORIGINS], option);
}
