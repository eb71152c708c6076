import { createHash, randomUUID } from "node:crypto";

/** Which run a result belongs to, and the configuration it ran. Every result carries one. */
export interface RunIdentity {
  /** The run id: `--run-id`, else (agents) derived from the configuration hash, else a random UUID. */
  id: string;
  /** sha256 (first 16 hex digits) of the canonical configuration: the same for every agent of one run. */
  configHash: string;
}

/**
 * Configuration fields that may differ between agents of one run without changing the load they offer together:
 * how each host generates its share (worker threads or processes, CPUs, its own paths) and what it prints.
 */
const PER_HOST = new Set([
  "progress",
  "workers",
  "workerMode",
  "clientCpus",
  "jsonlPath",
  "gatewayMain",
  "serverCpus",
  "runId",
]);

/** JSON with object keys sorted, plugins by name, functions and per-host fields left out. */
export function canonicalJson(value: unknown, top = true): string {
  if (value === undefined || typeof value === "function") return "null";
  if (typeof value === "bigint") return JSON.stringify(value.toString());
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((x) => canonicalJson(x, false)).join(",")}]`;
  const o = value as Record<string, unknown>;
  // A transport plugin (an object with a create function) is identified by its name.
  if (typeof o.create === "function" && typeof o.name === "string") return JSON.stringify(o.name);
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined && typeof o[k] !== "function" && !(top && PER_HOST.has(k)))
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k], false)}`).join(",")}}`;
}

/** The configuration hash of a bench configuration (see {@link RunIdentity.configHash}). */
export function configHashOf(config: object): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex").slice(0, 16);
}

/**
 * The identity of a run: `runId` when given; for agents, `agents-<hash>` (the hash covers the agent count and the
 * common start, so agents started alike agree without being told); for a lone run, a random UUID.
 */
export function runIdentity(config: object, opts: { runId?: string; agents?: boolean }): RunIdentity {
  const configHash = configHashOf(config);
  const id = opts.runId ?? (opts.agents ? `agents-${configHash}` : randomUUID());
  return { id, configHash };
}
