import type { OptionSpec } from "../options.js";

/** The "Process" help section's options, in help order (part of `SERVE_OPTIONS`). */
export const PROCESS_OPTIONS: readonly OptionSpec[] = [
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
