import type { AgentSpec } from "./agent-share.js";

/** The agent flags as parsed by node:util parseArgs. */
export interface AgentFlags {
  agents?: string;
  "agent-index"?: string;
  "start-at"?: string;
  "run-id"?: string;
  "agent-gap"?: string;
}

/** The agent lines of `modelwire bench --help`. */
export const AGENT_HELP = `Many load generators, one run (docs/bench.md)
  --agents N             this process is one of N agents of one run: it drives the 1/N share of the load (closed
                         loop: streams; open loop: rate and in-flight cap; requests and trace lines by index)
  --agent-index I        which agent, 0..N-1 (on Kubernetes: the Indexed Job's JOB_COMPLETION_INDEX)
  --start-at TIME        the common start: ISO 8601 (2026-12-01T12:00:00Z) or Unix epoch ms; every window follows
                         one plan from it (warm-up + duration + --agent-gap each), the same on every agent
  --agent-gap T          idle time planned after each window (default 1s)
  --run-id ID            the run's id in every agent's result (default: from the configuration hash)
  Merge the agents' results with --report-from agent-*.json (a missing agent is an error).`;

/** Parses `--start-at`: ISO 8601 with a time zone, or Unix epoch milliseconds. Undefined when malformed. */
export function parseStartAt(text: string): number | undefined {
  const t = text.trim();
  if (/^\d{10,16}$/.test(t)) return Number(t);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Reads the agent flags: all of `--agents`, `--agent-index` and `--start-at`, or none of them (`--run-id` may stand
 * alone). `fail` throws the CLI's usage error; `gapMs` is the parsed `--agent-gap` (default 1 s).
 */
export function parseAgentFlags(
  v: AgentFlags,
  gapMs: number | undefined,
  fail: (message: string) => never,
): { agent?: AgentSpec; runId?: string } {
  const runId = v["run-id"];
  if (runId !== undefined && !ID.test(runId))
    fail(`--run-id must be 1-128 letters, digits, '.', '_', ':' or '-', got "${runId}"`);
  const given = (["agents", "agent-index", "start-at"] as const).filter((k) => v[k] !== undefined);
  if (given.length === 0) {
    if (gapMs !== undefined) fail("--agent-gap needs --agents");
    return runId !== undefined ? { runId } : {};
  }
  if (given.length < 3)
    fail(
      `--agents, --agent-index and --start-at go together (missing ${(["agents", "agent-index", "start-at"] as const)
        .filter((k) => v[k] === undefined)
        .map((k) => `--${k}`)
        .join(", ")})`,
    );
  const count = Number(v.agents);
  if (!Number.isInteger(count) || count < 1 || count > 1024)
    fail(`--agents must be an integer in [1, 1024], got "${v.agents}"`);
  const index = Number(v["agent-index"]);
  if (!/^\d+$/.test(v["agent-index"]!) || index >= count)
    fail(`--agent-index must be an integer in [0, ${count - 1}] (one of --agents ${count}), got "${v["agent-index"]}"`);
  const startAtMs = parseStartAt(v["start-at"]!);
  if (startAtMs === undefined)
    fail(`--start-at must be ISO 8601 with a time zone (2026-12-01T12:00:00Z) or epoch ms, got "${v["start-at"]}"`);
  return { agent: { count, index, startAtMs, gapMs: gapMs ?? 1000 }, ...(runId !== undefined ? { runId } : {}) };
}
