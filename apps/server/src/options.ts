/**
 * The table of `modelwire serve` options: one row per option drives the flag parser, the environment and config
 * file readers, and the `--help` text, so the three sources and the documentation cannot drift apart.
 */

/** How an option's value is read and checked. */
export type OptionKind =
  | "switch"
  | "port"
  | "int"
  | "number"
  | "string"
  | "path"
  | "url"
  | "choice"
  | "list"
  | "upstreams";

/** One `modelwire serve` option. */
export interface OptionSpec {
  /** The config key (camelCase, also the config file key). */
  key: string;
  /** The flag without dashes, e.g. `http-port`. For a switch, `--no-<flag>` turns it off. */
  flag: string;
  /** The environment variable that sets it. */
  env: string;
  kind: OptionKind;
  /** Default value; `undefined` means "off / not set". */
  defaultValue: boolean | number | string | undefined;
  /** Placeholder shown in help, e.g. `PORT`. */
  placeholder?: string;
  /** Smallest allowed value (numbers). */
  min?: number;
  /** Largest allowed value (numbers); `exclusiveMax` makes it exclusive. */
  max?: number;
  exclusiveMax?: boolean;
  /** The allowed values (kind `choice`). */
  choices?: readonly string[];
  /** Help section. */
  group: "Listeners" | "Engine" | "Limits" | "Cache" | "Security" | "Process";
  /** One-line description. */
  help: string;
}

/** Every `modelwire serve` option, in help order. */
export const SERVE_OPTIONS: readonly OptionSpec[] = [
  {
    key: "host",
    flag: "host",
    env: "MODELWIRE_HOST",
    kind: "string",
    defaultValue: "127.0.0.1",
    placeholder: "ADDR",
    group: "Listeners",
    help: "address the protocol listeners bind (the admin listener binds --admin-host)",
  },
  {
    key: "http",
    flag: "http",
    env: "MODELWIRE_HTTP",
    kind: "switch",
    defaultValue: true,
    group: "Listeners",
    help: "serve the Ollama HTTP API",
  },
  {
    key: "httpPort",
    flag: "http-port",
    env: "MODELWIRE_HTTP_PORT",
    kind: "port",
    defaultValue: 11535,
    placeholder: "PORT",
    group: "Listeners",
    help: "Ollama HTTP API port (0 = any free port)",
  },
  {
    key: "connect",
    flag: "connect",
    env: "MODELWIRE_CONNECT",
    kind: "switch",
    defaultValue: true,
    group: "Listeners",
    help: "serve Connect/gRPC/gRPC-Web over HTTP/2",
  },
  {
    key: "connectPort",
    flag: "connect-port",
    env: "MODELWIRE_CONNECT_PORT",
    kind: "port",
    defaultValue: 11536,
    placeholder: "PORT",
    group: "Listeners",
    help: "Connect/gRPC port (h2c, or h2 with --tls-cert)",
  },
  {
    key: "mcp",
    flag: "mcp",
    env: "MODELWIRE_MCP",
    kind: "switch",
    defaultValue: true,
    group: "Listeners",
    help: "serve MCP, the Model Communication Protocol, over TCP",
  },
  {
    key: "mcpPort",
    flag: "mcp-port",
    env: "MODELWIRE_MCP_PORT",
    kind: "port",
    defaultValue: 11537,
    placeholder: "PORT",
    group: "Listeners",
    help: "MCP TCP port (TLS with --tls-cert)",
  },
  {
    key: "mcpSocket",
    flag: "mcp-socket",
    env: "MODELWIRE_MCP_SOCKET",
    kind: "path",
    defaultValue: undefined,
    placeholder: "PATH",
    group: "Listeners",
    help: "also serve MCP on this Unix socket (off unless given)",
  },
  {
    key: "admin",
    flag: "admin",
    env: "MODELWIRE_ADMIN",
    kind: "switch",
    defaultValue: true,
    group: "Listeners",
    help: "serve /healthz, /metrics and /control/*",
  },
  {
    key: "adminPort",
    flag: "admin-port",
    env: "MODELWIRE_ADMIN_PORT",
    kind: "port",
    defaultValue: 11538,
    placeholder: "PORT",
    group: "Listeners",
    help: "admin port (plain HTTP/1.1)",
  },
  {
    key: "adminHost",
    flag: "admin-host",
    env: "MODELWIRE_ADMIN_HOST",
    kind: "string",
    defaultValue: "127.0.0.1",
    placeholder: "ADDR",
    group: "Listeners",
    help: "address the admin listener binds (loopback whatever --host says)",
  },
  {
    key: "upstream",
    flag: "upstream",
    env: "MODELWIRE_UPSTREAM",
    kind: "upstreams",
    defaultValue: undefined,
    placeholder: "URL[,weight=N][,max-streams=N]",
    group: "Engine",
    help: "forward every call to this Ollama instead of the synthetic model; repeat it for a fleet (docs/serve.md)",
  },
  {
    key: "upstreamProbeMs",
    flag: "upstream-probe-ms",
    env: "MODELWIRE_UPSTREAM_PROBE_MS",
    kind: "int",
    defaultValue: 5000,
    min: 100,
    max: 3_600_000,
    placeholder: "MS",
    group: "Engine",
    help: "how often each upstream is asked /api/version; gRPC health says NOT_SERVING while none answers",
  },
  {
    key: "upstreamAttempts",
    flag: "upstream-attempts",
    env: "MODELWIRE_UPSTREAM_ATTEMPTS",
    kind: "int",
    defaultValue: 3,
    min: 1,
    max: 10,
    placeholder: "N",
    group: "Engine",
    help: "fleet: tries per call, each on another upstream, while no token has been sent",
  },
  {
    key: "upstreamFailures",
    flag: "upstream-failures",
    env: "MODELWIRE_UPSTREAM_FAILURES",
    kind: "int",
    defaultValue: 3,
    min: 1,
    max: 1000,
    placeholder: "N",
    group: "Engine",
    help: "fleet: consecutive failures (connection, 5xx, timeout) that take an upstream out",
  },
  {
    key: "upstreamBackoffMs",
    flag: "upstream-backoff-ms",
    env: "MODELWIRE_UPSTREAM_BACKOFF_MS",
    kind: "int",
    defaultValue: 1000,
    min: 10,
    max: 60_000,
    placeholder: "MS",
    group: "Engine",
    help: "fleet: wait before an out upstream gets one trial call (doubles per failed trial, at most 60 s)",
  },
  {
    key: "upstreamTagsMs",
    flag: "upstream-tags-ms",
    env: "MODELWIRE_UPSTREAM_TAGS_MS",
    kind: "int",
    defaultValue: 30_000,
    min: 100,
    max: 3_600_000,
    placeholder: "MS",
    group: "Engine",
    help: "fleet: how often each upstream's /api/tags is read again (also after a model is not found)",
  },
  {
    key: "upstreamAffinity",
    flag: "upstream-affinity",
    env: "MODELWIRE_UPSTREAM_AFFINITY",
    kind: "switch",
    defaultValue: true,
    group: "Engine",
    help: "fleet: calls with the same x-modelwire-session go to the upstream of that session's last call",
  },
  {
    key: "seed",
    flag: "seed",
    env: "MODELWIRE_SEED",
    kind: "int",
    defaultValue: 42,
    min: 0,
    max: 2 ** 32 - 1,
    placeholder: "N",
    group: "Engine",
    help: "synthetic model seed (output is a pure function of seed, model and prompt)",
  },
  {
    key: "ttftMs",
    flag: "ttft-ms",
    env: "MODELWIRE_TTFT_MS",
    kind: "number",
    defaultValue: 0,
    min: 0,
    max: 3_600_000,
    placeholder: "MS",
    group: "Engine",
    help: "synthetic time to first token",
  },
  {
    key: "interTokenMs",
    flag: "inter-token-ms",
    env: "MODELWIRE_INTER_TOKEN_MS",
    kind: "number",
    defaultValue: 0,
    min: 0,
    max: 3_600_000,
    placeholder: "MS",
    group: "Engine",
    help: "synthetic delay between tokens",
  },
  {
    key: "tokens",
    flag: "tokens",
    env: "MODELWIRE_TOKENS",
    kind: "int",
    defaultValue: 16,
    min: 0,
    max: 1_000_000,
    placeholder: "N",
    group: "Engine",
    help: "synthetic tokens per reply when the request sets no num_predict",
  },
  {
    key: "jitter",
    flag: "jitter",
    env: "MODELWIRE_JITTER",
    kind: "number",
    defaultValue: 0,
    min: 0,
    max: 1,
    exclusiveMax: true,
    placeholder: "R",
    group: "Engine",
    help: "relative jitter of each synthetic delay, in [0, 1)",
  },
  {
    key: "loadMs",
    flag: "load-ms",
    env: "MODELWIRE_LOAD_MS",
    kind: "number",
    defaultValue: 0,
    min: 0,
    max: 3_600_000,
    placeholder: "MS",
    group: "Engine",
    help: "synthetic model load time: the first call to an unloaded model pays it (load_duration)",
  },
  {
    key: "maxStreams",
    flag: "max-streams",
    env: "MODELWIRE_MAX_STREAMS",
    kind: "int",
    defaultValue: 256,
    min: 1,
    max: 1_000_000,
    placeholder: "N",
    group: "Limits",
    help: "streams (generate, chat, embed) in flight across all protocols",
  },
  {
    key: "maxQueue",
    flag: "max-queue",
    env: "MODELWIRE_MAX_QUEUE",
    kind: "int",
    defaultValue: 0,
    min: 0,
    max: 1_000_000,
    placeholder: "N",
    group: "Limits",
    help: 'calls allowed to wait for a slot; beyond it each protocol answers "busy" at once',
  },
  {
    key: "preload",
    flag: "preload",
    env: "MODELWIRE_PRELOAD",
    kind: "list",
    defaultValue: undefined,
    placeholder: "MODEL",
    group: "Engine",
    help: "load this model at start (repeatable; env and config: a comma list)",
  },
  {
    key: "keepAlive",
    flag: "keep-alive",
    env: "MODELWIRE_KEEP_ALIVE",
    kind: "string",
    defaultValue: undefined,
    placeholder: "DURATION",
    group: "Engine",
    help: "keep_alive forwarded for calls that set none, and for --preload (e.g. 30m, 3600, -1 = forever)",
  },
  {
    key: "readyAfterPreload",
    flag: "ready-after-preload",
    env: "MODELWIRE_READY_AFTER_PRELOAD",
    kind: "switch",
    defaultValue: false,
    group: "Engine",
    help: "print the ready line only once every --preload model is loaded (a failed load then stops the start)",
  },
  {
    key: "cacheMb",
    flag: "cache-mb",
    env: "MODELWIRE_CACHE_MB",
    kind: "number",
    defaultValue: 0,
    min: 0,
    max: 65_536,
    placeholder: "MIB",
    group: "Cache",
    help: "response cache bound in MiB (deterministic requests only, see docs/serve.md); 0 = off",
  },
  {
    key: "cacheTtl",
    flag: "cache-ttl",
    env: "MODELWIRE_CACHE_TTL",
    kind: "number",
    defaultValue: 3600,
    min: 0,
    max: 2_592_000,
    placeholder: "SECONDS",
    group: "Cache",
    help: "how long a cached reply may be served (0 = until evicted; at most 30 days)",
  },
  {
    key: "cacheRedis",
    flag: "cache-redis",
    env: "MODELWIRE_CACHE_REDIS",
    kind: "string",
    defaultValue: undefined,
    placeholder: "URL",
    group: "Cache",
    help: "keep the response cache in this Redis (redis://, rediss://, unix:///path), shared by gateways",
  },
  {
    key: "authToken",
    flag: "auth-token",
    env: "MODELWIRE_AUTH_TOKEN",
    kind: "string",
    defaultValue: undefined,
    placeholder: "TOKEN",
    group: "Security",
    help: "require `Authorization: Bearer TOKEN` on every protocol and on /control/* (unless --admin-token)",
  },
  {
    key: "adminToken",
    flag: "admin-token",
    env: "MODELWIRE_ADMIN_TOKEN",
    kind: "string",
    defaultValue: undefined,
    placeholder: "TOKEN",
    group: "Security",
    help: "the bearer token /control/* (and /metrics, see --metrics-auth) require instead of --auth-token",
  },
  {
    key: "metricsAuth",
    flag: "metrics-auth",
    env: "MODELWIRE_METRICS_AUTH",
    kind: "choice",
    choices: ["auto", "token", "open"],
    defaultValue: "auto",
    placeholder: "MODE",
    group: "Security",
    help: "/metrics: auto = open on a loopback admin address, token otherwise; token = always; open = never",
  },
  {
    key: "adminOrigins",
    flag: "admin-origins",
    env: "MODELWIRE_ADMIN_ORIGINS",
    kind: "string",
    defaultValue: undefined,
    placeholder: "LIST",
    group: "Security",
    help: "comma-separated origins (http://host:port) whose pages may POST /control/*; default none",
  },
  {
    key: "origins",
    flag: "origins",
    env: "MODELWIRE_ORIGINS",
    kind: "string",
    defaultValue: undefined,
    placeholder: "LIST",
    group: "Security",
    help: "origins whose pages may call the HTTP and Connect ports, beside Ollama's defaults (OLLAMA_ORIGINS syntax)",
  },
  {
    key: "tlsCert",
    flag: "tls-cert",
    env: "MODELWIRE_TLS_CERT",
    kind: "path",
    defaultValue: undefined,
    placeholder: "FILE",
    group: "Security",
    help: "PEM certificate: serve Connect/gRPC and MCP TCP over TLS (needs --tls-key)",
  },
  {
    key: "tlsKey",
    flag: "tls-key",
    env: "MODELWIRE_TLS_KEY",
    kind: "path",
    defaultValue: undefined,
    placeholder: "FILE",
    group: "Security",
    help: "PEM private key for --tls-cert",
  },
  {
    key: "graceMs",
    flag: "grace-ms",
    env: "MODELWIRE_GRACE_MS",
    kind: "int",
    defaultValue: 5000,
    min: 0,
    max: 3_600_000,
    placeholder: "MS",
    group: "Process",
    help: "on SIGTERM/SIGINT, how long streams in flight may take to finish before connections are cut",
  },
  {
    key: "drainDelayMs",
    flag: "drain-delay-ms",
    env: "MODELWIRE_DRAIN_DELAY_MS",
    kind: "int",
    defaultValue: 0,
    min: 0,
    max: 3_600_000,
    placeholder: "MS",
    group: "Process",
    help: "on SIGTERM/SIGINT, how long health checks say NOT_SERVING while calls are still served, before the drain",
  },
  {
    key: "quiet",
    flag: "quiet",
    env: "MODELWIRE_QUIET",
    kind: "switch",
    defaultValue: false,
    group: "Process",
    help: "log nothing to stderr but errors (the ready line still goes to stdout)",
  },
];

/** The option that names a JSON config file (read before the others; flags and env win over it). */
export const CONFIG_OPTION = {
  flag: "config",
  env: "MODELWIRE_CONFIG",
  placeholder: "FILE",
  help: "JSON file with any of the options above as camelCase keys",
} as const;

/** Finds an option by its flag (without dashes). */
export function optionByFlag(flag: string): OptionSpec | undefined {
  return SERVE_OPTIONS.find((o) => o.flag === flag);
}

/** Finds an option by its config key. */
export function optionByKey(key: string): OptionSpec | undefined {
  return SERVE_OPTIONS.find((o) => o.key === key);
}
