import type { OptionSpec } from "../options.js";

/** The "Cache" help section's options, in help order (part of `SERVE_OPTIONS`). */
export const CACHE_OPTIONS: readonly OptionSpec[] = [
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
];
