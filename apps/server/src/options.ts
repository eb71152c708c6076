/**
 * The table of `modelwire serve` options: one row per option drives the flag parser, the environment and config
 * file readers, and the `--help` text, so the three sources and the documentation cannot drift apart.
 */

import { CACHE_OPTIONS } from "./options/cache.js";
import { ENGINE_OPTIONS, RESIDENCY_OPTIONS } from "./options/engine.js";
import { LIMIT_OPTIONS } from "./options/limits.js";
import { LISTENER_OPTIONS } from "./options/listeners.js";
import { PROCESS_OPTIONS } from "./options/process.js";
import { SECURITY_OPTIONS } from "./options/security.js";

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

/** Every `modelwire serve` option, in help order (the rows live in `options/`, one file per help section). */
export const SERVE_OPTIONS: readonly OptionSpec[] = [
  ...LISTENER_OPTIONS,
  ...ENGINE_OPTIONS,
  ...LIMIT_OPTIONS,
  ...RESIDENCY_OPTIONS,
  ...CACHE_OPTIONS,
  ...SECURITY_OPTIONS,
  ...PROCESS_OPTIONS,
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
