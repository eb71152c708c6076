import type { ServeConfig } from "../config.js";

/** Whether the configuration turns the response cache on (`--cache-mb` > 0 or `--cache-redis`). */
export function cacheEnabled(cfg: ServeConfig): boolean {
  return cfg.cacheMb > 0 || cfg.cacheRedis !== undefined;
}
