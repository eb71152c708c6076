import type { HangWatch } from "./hang-watch.js";
import { count, newTally, type Outcome, type TargetTally } from "./tally.js";

/** One parser under fuzz: how its inputs are made and sent. */
export interface FuzzTarget<I> {
  name: string;
  /** The i-th input of this target's seeded sequence. */
  next(i: number): I;
  send(input: I, hang: HangWatch): Promise<Outcome>;
  /** The bytes an example shows and where they went. */
  describe(input: I): { bytes: Uint8Array; label: string };
}

/** How hard to drive a target and when to stop. */
export interface DriveLimits {
  /** Inputs in flight at once. */
  concurrency: number;
  /**
   * Asked before each input: true to issue it. The campaign's budget (inputs left, time left, gateway alive) is
   * shared by its targets, so a parser that answers faster gets more of it.
   */
  take: () => boolean;
}

/** A target being driven. */
export interface Drive {
  /** Its counts so far (read it while running for progress). */
  tally: TargetTally;
  /** Settles when no input is in flight any more. */
  done: Promise<void>;
  /**
   * Replays, one at a time, each input that got no answer within the hang limit while the campaign ran: one that
   * hangs again on the otherwise idle gateway is a hang, one answered now is counted with that answer (and as
   * suspected). Replays stop at `until` (`performance.now()`); any not replayed by then count as hangs.
   */
  confirm(until: number): Promise<void>;
}

/**
 * Drives one target: `concurrency` inputs in flight until `limits.take()` says no, each answer counted into the
 * returned tally. An input with no answer within the hang limit is set aside (its worker moves on) for
 * {@link Drive.confirm}: on a loaded machine a slow answer is not yet a hang.
 */
export function drive<I>(target: FuzzTarget<I>, limits: DriveLimits, hang: HangWatch): Drive {
  const tally = newTally(target.name);
  const suspects: I[] = [];
  let issued = 0;
  const record = (input: I, outcome: Outcome, ms: number) => {
    const { bytes, label } = target.describe(input);
    count(tally, bytes, outcome, ms, label);
  };
  const worker = async () => {
    while (limits.take()) {
      const input = target.next(issued++);
      const t0 = performance.now();
      const outcome = await target.send(input, hang);
      const ms = performance.now() - t0;
      // The watch looks every so often, so an answer can come after the limit but before the look: late is a suspect.
      if (outcome.kind === "hang" || ms > hang.limitMs) suspects.push(input);
      else record(input, outcome, ms);
    }
  };
  return {
    tally,
    done: Promise.all(Array.from({ length: limits.concurrency }, worker)).then(() => {}),
    async confirm(until) {
      for (const input of suspects) {
        tally.suspected++;
        if (performance.now() >= until) {
          record(input, { kind: "hang" }, 0);
          continue;
        }
        const t0 = performance.now();
        const outcome = await target.send(input, hang);
        const ms = performance.now() - t0;
        record(input, ms > hang.limitMs ? { kind: "hang" } : outcome, ms);
      }
    },
  };
}
