/** What one fuzz input did to the gateway. */
export type Outcome =
  /** The gateway answered (any reply, a coded error, or it closed the connection) within the hang limit. */
  | { kind: "answered"; status?: number; reset?: boolean }
  /** No answer and no close within the hang limit. */
  | { kind: "hang" }
  /** The client could not send it (e.g. no local port left to connect from): not an input tried. */
  | { kind: "unsent" };

/** Figures of one parser's campaign. */
export interface TargetTally {
  target: string;
  inputs: number;
  /** Inputs the client could not send (not counted in `inputs`). */
  unsent: number;
  hangs: number;
  /**
   * Inputs with no answer within the hang limit while the campaign ran, replayed alone afterwards: those that hung
   * again are `hangs`, the others are counted with their answer.
   */
  suspected: number;
  /** Replies with a 5xx HTTP status other than 503 (busy / shutting down): bad input should be a 4xx. */
  serverErrors: number;
  /** HTTP/2 streams reset before any response headers (the request got no HTTP response at all). */
  resets: number;
  /** The slowest answer, ms (of an input replayed alone: its replay's). */
  slowestMs: number;
  /** Up to three inputs that hung, got a 5xx or a reset (what was sent to where, the outcome, the first bytes as hex). */
  examples: string[];
}

/** A new, empty tally for `target`. */
export function newTally(target: string): TargetTally {
  return {
    target,
    inputs: 0,
    unsent: 0,
    hangs: 0,
    suspected: 0,
    serverErrors: 0,
    resets: 0,
    slowestMs: 0,
    examples: [],
  };
}

/** Counts `outcome` of `input` into `t`. */
export function count(t: TargetTally, input: Uint8Array, outcome: Outcome, ms: number, label = ""): void {
  if (outcome.kind === "unsent") {
    t.unsent++;
    return;
  }
  t.inputs++;
  t.slowestMs = Math.max(t.slowestMs, ms);
  const bad =
    outcome.kind === "hang" ||
    (outcome.status !== undefined && outcome.status >= 500 && outcome.status !== 503 && outcome.status !== 504);
  if (outcome.kind === "answered" && outcome.reset) t.resets++;
  if (outcome.kind === "hang") t.hangs++;
  else if (bad) t.serverErrors++;
  const reset = outcome.kind === "answered" && outcome.reset === true;
  if ((bad || reset) && t.examples.length < 3) {
    const what = outcome.kind === "hang" ? "hang" : reset ? "reset, no response" : `status ${outcome.status}`;
    t.examples.push(`${label}${what}: ${Buffer.from(input.subarray(0, 256)).toString("hex")}`);
  }
}
