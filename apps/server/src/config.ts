import { readFileSync, statSync } from "node:fs";
import { ModelwireError, parseOriginList } from "@modelwire/core";
import { checkSpecs, parseUpstreamJson, parseUpstreamText, type UpstreamSpec } from "./fleet/upstream-spec.js";
import { badOption, checkHttpUrl, clip } from "./option-error.js";
import { CONFIG_OPTION, type OptionSpec, optionByFlag, optionByKey, SERVE_OPTIONS } from "./options.js";

export { badOption } from "./option-error.js";

/** Everything `modelwire serve` needs, resolved and validated. */
export interface ServeConfig {
  /** Address every listener binds. Default `127.0.0.1`. */
  host: string;
  /** Serve the Ollama HTTP API. */
  http: boolean;
  httpPort: number;
  /** Serve Connect/gRPC/gRPC-Web. */
  connect: boolean;
  connectPort: number;
  /** Serve MCP (Model Communication Protocol) over TCP. */
  mcp: boolean;
  mcpPort: number;
  /** Also serve MCP on this Unix socket. */
  mcpSocket?: string;
  /** Serve the admin listener (health, metrics, control). */
  admin: boolean;
  adminPort: number;
  /** Address the admin listener binds; `127.0.0.1` whatever `host` says. */
  adminHost: string;
  /**
   * Forward to this Ollama instead of the synthetic model — or, with several (or a `maxStreams`), to a fleet of
   * them (see docs/serve.md, "A fleet of upstreams").
   */
  upstream?: UpstreamSpec[];
  /** How often each upstream is probed (`/api/version`) for gRPC health (and, in a fleet, its circuit breaker). */
  upstreamProbeMs: number;
  /** Fleet: attempts per call, on different upstreams, before its first token. */
  upstreamAttempts: number;
  /** Fleet: consecutive failures that take an upstream out (open its circuit breaker). */
  upstreamFailures: number;
  /** Fleet: first back-off before an out upstream gets a trial call (doubles per failed trial, at most 60 s). */
  upstreamBackoffMs: number;
  /** Fleet: how often each upstream's `/api/tags` is read again. */
  upstreamTagsMs: number;
  /** Fleet: a started stream whose upstream sends no chunk for this long ends `Unavailable` (`upstream_stalled`). */
  upstreamStallMs: number;
  /** Fleet: a call whose upstream sends no first chunk for this long moves to another upstream. */
  upstreamFirstChunkMs: number;
  /** Fleet: calls carrying `x-modelwire-session` prefer the upstream of that session's previous call. */
  upstreamAffinity: boolean;
  seed: number;
  ttftMs: number;
  interTokenMs: number;
  tokens: number;
  jitter: number;
  /** Synthetic model load time, ms. */
  loadMs: number;
  /** Streams in flight across all protocols. */
  maxStreams: number;
  /** Calls waiting for a slot. */
  maxQueue: number;
  /** Connections each listener holds at once. */
  maxConnections: number;
  /** Connections one remote address holds on each listener at once. */
  maxConnectionsPerClient: number;
  /** A reply whose client reads nothing for this long is cut (ms; 0 = never). */
  writeStallTimeoutMs: number;
  /** Bytes queued for readers that are behind, across all listeners, before the largest are cut (0 = no budget). */
  maxQueuedBytes: number;
  /** Response cache bound in MiB (0 = off unless `cacheRedis`); also the largest reply stored. */
  cacheMb: number;
  /** Models loaded at start. */
  preload?: string[];
  /** keep_alive forwarded when a call sets none (Ollama's forms: seconds, or a duration like `30m`). */
  keepAlive?: string;
  /** Print the ready line only after every preload. */
  readyAfterPreload: boolean;
  /** Seconds a cached reply may be served (0 = until evicted). */
  cacheTtl: number;
  /** Redis URL holding the shared response cache. */
  cacheRedis?: string;
  /** Bearer token every protocol requires (and `/control/*`, unless `adminToken` is set). */
  authToken?: string;
  /** Bearer token `/control/*` requires instead of `authToken`. */
  adminToken?: string;
  /** `/metrics`: `auto` (open on a loopback admin address, token otherwise), `token`, or `open`. */
  metricsAuth: MetricsAuth;
  /** Comma-separated origins whose pages may send mutating admin requests; default none. */
  adminOrigins?: string;
  /** Origins (`OLLAMA_ORIGINS` syntax) whose pages may call the HTTP and Connect ports, beside Ollama's defaults. */
  origins?: string;
  /** PEM certificate and key files for Connect/gRPC and MCP TCP. */
  tlsCert?: string;
  tlsKey?: string;
  /** Grace period for streams in flight on shutdown. */
  graceMs: number;
  /** On shutdown, how long health says NOT_SERVING, with calls still served, before the drain begins. */
  drainDelayMs: number;
  /** Log only errors to stderr. */
  quiet: boolean;
}

/** Whether `/metrics` requires the admin token. */
export type MetricsAuth = "auto" | "token" | "open";

/** What {@link resolveServeConfig} reads. Everything but `argv` defaults to the real process. */
export interface ConfigSources {
  /** Arguments after `serve` (or after `main.js`). */
  argv: readonly string[];
  /** Environment; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads a config file; default `readFileSync(path, "utf8")` with a 1 MiB limit. */
  readFile?: (path: string) => string;
}

/** The result of parsing: either a config, or a request for help. */
export type ParsedServeArgs = { help: true } | { help: false; config: ServeConfig };

const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_STRING = 4096;

/**
 * Resolves the serve configuration from flags > environment > config file > defaults. Throws `InvalidArgument`
 * naming the offending option (`--http-port`, `MODELWIRE_TOKENS`, `config file key "ttftMs"` ...) for anything
 * malformed, unknown or inconsistent; never anything else.
 */
export function resolveServeConfig(sources: ConfigSources): ParsedServeArgs {
  const env = sources.env ?? process.env;
  const flags = parseFlags(sources.argv);
  if (flags.help) return { help: true };

  const values = new Map<string, unknown>();
  for (const o of SERVE_OPTIONS) values.set(o.key, o.defaultValue);

  // Config file (lowest of the explicit sources).
  const configPath = flags.configPath ?? nonEmpty(env[CONFIG_OPTION.env]);
  if (configPath !== undefined) {
    const fileValues = readConfigFile(configPath, sources.readFile ?? defaultReadFile);
    for (const [k, v] of fileValues) values.set(k, v);
  }
  // Environment.
  for (const o of SERVE_OPTIONS) {
    const raw = env[o.env];
    if (raw === undefined || raw === "") continue;
    values.set(o.key, parseText(o, raw, o.env));
  }
  // Flags.
  for (const [k, v] of flags.values) values.set(k, v);

  const config = Object.fromEntries(values) as unknown as ServeConfig;
  for (const k of Object.keys(config) as (keyof ServeConfig)[]) {
    if (config[k] === undefined) delete config[k];
  }
  checkConsistency(config);
  return { help: false, config };
}

interface ParsedFlags {
  help: boolean;
  configPath?: string;
  values: Map<string, unknown>;
}

function parseFlags(argv: readonly string[]): ParsedFlags {
  const out: ParsedFlags = { help: false, values: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      out.help = true;
      continue;
    }
    if (!arg.startsWith("--") || arg === "--") {
      throw badOption(arg, `unexpected argument "${clip(arg)}" (serve takes only --options; see --help)`);
    }
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw badOption(`--${name}`, "needs a value");
      }
      i++;
      return next;
    };
    if (name === CONFIG_OPTION.flag) {
      const v = takeValue();
      if (v === "") throw badOption("--config", "needs a file path");
      out.configPath = v;
      continue;
    }
    let spec = optionByFlag(name);
    if (spec?.kind === "switch") {
      out.values.set(spec.key, inline === undefined ? true : parseText(spec, inline, `--${name}`));
      continue;
    }
    if (!spec && name.startsWith("no-")) {
      spec = optionByFlag(name.slice(3));
      if (spec?.kind === "switch") {
        if (inline !== undefined) throw badOption(`--${name}`, "takes no value");
        out.values.set(spec.key, false);
        continue;
      }
      spec = undefined;
    }
    if (!spec) throw badOption(`--${clip(name)}`, "unknown option");
    const value = parseText(spec, takeValue(), `--${name}`);
    // A list flag is repeatable: each occurrence adds to it.
    const prior = out.values.get(spec.key);
    const repeatable = spec.kind === "list" || spec.kind === "upstreams";
    out.values.set(spec.key, repeatable && Array.isArray(prior) ? [...prior, ...(value as unknown[])] : value);
  }
  return out;
}

/** Parses an option's text (flag or env var). */
function parseText(spec: OptionSpec, raw: string, source: string): unknown {
  if (raw.length > MAX_STRING) throw badOption(source, `value longer than ${MAX_STRING} characters`);
  switch (spec.kind) {
    case "switch": {
      const v = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off"].includes(v)) return false;
      throw badOption(source, `expected true or false, got "${clip(raw)}"`);
    }
    case "port":
    case "int":
    case "number": {
      const t = raw.trim();
      const n = t === "" ? Number.NaN : Number(t);
      return checkNumber(spec, n, source, `"${clip(raw)}"`);
    }
    case "choice":
      return checkChoice(spec, raw.trim(), source);
    case "list":
      return checkList(raw.split(","), source);
    case "upstreams":
      return parseUpstreamText(raw, source);
    default:
      return checkString(spec, raw, source);
  }
}

/** A list option's items: trimmed, none empty, at most 64. */
function checkList(items: readonly unknown[], source: string): string[] {
  if (items.length > 64) throw badOption(source, "at most 64 items");
  return items.map((x) => {
    if (typeof x !== "string") throw badOption(source, `expected strings, got ${clip(JSON.stringify(x))}`);
    const t = x.trim();
    if (t === "" || t.includes("\0")) throw badOption(source, `empty or NUL item in "${clip(items.join(","))}"`);
    return t;
  });
}

function checkChoice(spec: OptionSpec, value: string, source: string): string {
  const choices = spec.choices ?? [];
  if (!choices.includes(value)) throw badOption(source, `expected one of ${choices.join(", ")}, got "${clip(value)}"`);
  return value;
}

function checkNumber(spec: OptionSpec, n: number, source: string, shown: string): number {
  const integer = spec.kind !== "number";
  const min = spec.kind === "port" ? 0 : (spec.min ?? Number.NEGATIVE_INFINITY);
  const max = spec.kind === "port" ? 65535 : (spec.max ?? Number.POSITIVE_INFINITY);
  const what = spec.kind === "port" ? "a port (0-65535)" : integer ? "an integer" : "a number";
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw badOption(source, `expected ${what}, got ${shown}`);
  }
  if (n < min || n > max || (spec.exclusiveMax && n >= max)) {
    const upper = spec.exclusiveMax ? `below ${max}` : `at most ${max}`;
    throw badOption(source, `expected ${what} at least ${min} and ${upper}, got ${shown}`);
  }
  return n;
}

function checkString(spec: OptionSpec, raw: string, source: string): string {
  if (raw === "") throw badOption(source, "must not be empty");
  if (raw.includes("\0")) throw badOption(source, "must not contain NUL");
  if (spec.kind === "url") checkHttpUrl(raw, source);
  return raw;
}

function readConfigFile(path: string, read: (path: string) => string): Map<string, unknown> {
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    if (e instanceof ModelwireError) throw e;
    throw badOption("--config", `cannot read ${clip(path)}: ${(e as Error).message}`);
  }
  if (text.length > MAX_CONFIG_BYTES) throw badOption("--config", `${clip(path)} is larger than 1 MiB`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badOption("--config", `${clip(path)} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw badOption("--config", `${clip(path)} must hold a JSON object`);
  }
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(json)) {
    const spec = optionByKey(key);
    const source = `config file key "${clip(key)}"`;
    if (!spec) throw badOption(source, "unknown option");
    if (value === null) continue;
    if (spec.kind === "switch") {
      if (typeof value !== "boolean")
        throw badOption(source, `expected true or false, got ${clip(JSON.stringify(value))}`);
      out.set(key, value);
    } else if (spec.kind === "port" || spec.kind === "int" || spec.kind === "number") {
      if (typeof value !== "number") throw badOption(source, `expected a number, got ${clip(JSON.stringify(value))}`);
      out.set(key, checkNumber(spec, value, source, String(value)));
    } else if (spec.kind === "choice") {
      if (typeof value !== "string") throw badOption(source, `expected a string, got ${clip(JSON.stringify(value))}`);
      out.set(key, checkChoice(spec, value, source));
    } else if (spec.kind === "upstreams") {
      out.set(key, parseUpstreamJson(value, source));
    } else if (spec.kind === "list") {
      const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [value];
      out.set(key, checkList(items, source));
    } else {
      if (typeof value !== "string") throw badOption(source, `expected a string, got ${clip(JSON.stringify(value))}`);
      if (value.length > MAX_STRING) throw badOption(source, `value longer than ${MAX_STRING} characters`);
      out.set(key, checkString(spec, value, source));
    }
  }
  return out;
}

function defaultReadFile(path: string): string {
  const size = statSync(path).size;
  if (size > MAX_CONFIG_BYTES) throw badOption("--config", `${clip(path)} is larger than 1 MiB`);
  return readFileSync(path, "utf8");
}

function checkConsistency(c: ServeConfig): void {
  // Repeated --upstream flags are checked together (the same URL twice).
  if (c.upstream !== undefined) checkSpecs(c.upstream, "--upstream");
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) {
    throw badOption(c.tlsCert === undefined ? "--tls-cert" : "--tls-key", "--tls-cert and --tls-key go together");
  }
  const used = new Map<number, string>();
  const listeners: [boolean, number, string][] = [
    [c.http, c.httpPort, "--http-port"],
    [c.connect, c.connectPort, "--connect-port"],
    [c.mcp, c.mcpPort, "--mcp-port"],
    [c.admin, c.adminPort, "--admin-port"],
  ];
  for (const [on, port, flag] of listeners) {
    if (!on || port === 0) continue;
    const other = used.get(port);
    if (other) throw badOption(flag, `port ${port} is also ${other}`);
    used.set(port, flag);
  }
  if (!c.http && !c.connect && !c.mcp && c.mcpSocket === undefined) {
    throw badOption("--no-http", "every protocol listener is switched off; nothing to serve");
  }
  if (c.cacheRedis !== undefined) checkRedisUrl(c.cacheRedis);
  if (c.keepAlive !== undefined && !KEEP_ALIVE.test(c.keepAlive.trim())) {
    throw badOption("--keep-alive", `expected seconds or a duration such as 30m or -1, got "${clip(c.keepAlive)}"`);
  }
  if (c.readyAfterPreload && (c.preload ?? []).length === 0) {
    throw badOption("--ready-after-preload", "needs at least one --preload MODEL");
  }
  for (const [value, flag] of [
    [c.host, "--host"],
    [c.adminHost, "--admin-host"],
  ] as const) {
    if (/\s/.test(value)) throw badOption(flag, `"${clip(value)}" is not a host address`);
  }
  for (const [value, flag] of [
    [c.authToken, "--auth-token"],
    [c.adminToken, "--admin-token"],
  ] as const) {
    if (value !== undefined && !/^[\x21-\x7e]+$/.test(value)) {
      throw badOption(flag, "must be printable ASCII without spaces (it travels in an HTTP header)");
    }
  }
  if (c.metricsAuth === "token" && c.adminToken === undefined && c.authToken === undefined) {
    throw badOption("--metrics-auth", "token needs --admin-token or --auth-token");
  }
  if (c.adminOrigins !== undefined) parseOrigins(c.adminOrigins);
  if (c.origins !== undefined) {
    try {
      parseOriginList(c.origins, "--origins");
    } catch (e) {
      throw badOption("--origins", (e as Error).message.replace(/^--origins: /, ""));
    }
  }
}

/**
 * Parses `--admin-origins`: comma-separated origins, each `http(s)://host[:port]` exactly as a browser sends it in
 * `Origin` (no path, no trailing slash). Throws `InvalidArgument` naming `--admin-origins`.
 */
export function parseOrigins(list: string): string[] {
  const out: string[] = [];
  for (const raw of list.split(",")) {
    const item = raw.trim();
    let origin: string | undefined;
    try {
      const u = new URL(item);
      if (u.protocol === "http:" || u.protocol === "https:") origin = u.origin;
    } catch {
      origin = undefined;
    }
    if (origin === undefined || origin !== item) {
      throw badOption("--admin-origins", `"${clip(item)}" is not an origin like http://127.0.0.1:8080`);
    }
    out.push(origin);
  }
  return out;
}

/** Ollama's keep_alive forms: seconds (a number, negative = forever) or a Go duration ("30m", "1h30m", "-1s"). */
const KEEP_ALIVE = /^(?:[-+]?\d+(?:\.\d+)?|[-+]?(?:\d+(?:\.\d*)?(?:ns|us|µs|ms|s|m|h))+)$/;

/** `--cache-redis` takes `redis://`, `rediss://` or `unix:///absolute/path` (a Unix socket). */
function checkRedisUrl(raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badOption("--cache-redis", `expected a redis://, rediss:// or unix:// URL, got "${clip(raw)}"`);
  }
  if (!["redis:", "rediss:", "unix:"].includes(url.protocol)) {
    throw badOption("--cache-redis", `expected a redis://, rediss:// or unix:// URL, got "${clip(raw)}"`);
  }
  if (url.protocol === "unix:" && !url.pathname.startsWith("/")) {
    throw badOption("--cache-redis", `a unix:// URL needs an absolute socket path, got "${clip(raw)}"`);
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}
