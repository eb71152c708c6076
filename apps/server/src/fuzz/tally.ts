/** What one fuzz input did to the gateway. */
export type Outcome =
  /** The gateway answered (any reply, a coded error, or it closed the connection) within the hang limit. */
  | { kind: "answered"; status?: number; reset?: boolean }
  /** No answer and no close within the hang limit. */
  | { kind: "hang" };

/** Figures of one parser's campaign. */
export interface TargetTally {
  target: string;
  inputs: number;
  hangs: number;
  /** Replies with a 5xx HTTP status other than 503 (busy / shutting down): bad input should be a 4xx. */
  serverErrors: number;
  /** HTTP/2 streams reset before any response headers (the request got no HTTP response at all). */
  resets: number;
  /** The slowest answer, ms. */
  slowestMs: number;
  /** Up to three inputs that hung or got a 5xx (what was sent to where, the outcome, the first bytes as hex). */
  examples: string[];
}

/** A new, empty tally for `target`. */
export function newTally(target: string): TargetTally {
  return { target, inputs: 0, hangs: 0, serverErrors: 0, resets: 0, slowestMs: 0, examples: [] };
}

/** Counts `outcome` of `input` into `t`. */
export function count(t: TargetTally, input: Uint8Array, outcome: Outcome, ms: number, label = ""): void {
  t.inputs++;
  t.slowestMs = Math.max(t.slowestMs, ms);
  const bad =
    outcome.kind === "hang" ||
    (outcome.status !== undefined && outcome.status >= 500 && outcome.status !== 503 && outcome.status !== 504);
  if (outcome.kind === "answered" && outcome.reset) t.resets++;
  if (outcome.kind === "hang") t.hangs++;
  else if (bad) t.serverErrors++;
  if (bad && t.examples.length < 3) {
    const what = outcome.kind === "hang" ? "hang" : `status ${outcome.status}`;
    t.examples.push(`${label}${what}: ${Buffer.from(input.subarray(0, 256)).toString("hex")}`);
  }
}
