import type { GenerateRequestInit, InferenceClient } from "@modelwire/core";

/** This agent's clock against the server's, from the `created_at` the server stamps on its replies. */
export interface ClockOffset {
  /** Server clock minus this agent's clock, ms (add it to a local epoch time to get the server's). */
  offsetMs: number;
  /** Half the round trip of the best sample, plus the timestamp's resolution: the offset is good to ± this, ms. */
  uncertaintyMs: number;
  /** Samples that carried a timestamp. */
  samples: number;
  /** The transport the samples went over. */
  via: string;
}

/** Local wall clock and a monotonic one, replaceable in tests. */
export interface ProbeClock {
  /** Unix epoch ms. */
  wall(): number;
  /** Monotonic ms. */
  mono(): number;
}

const realClock: ProbeClock = { wall: () => Date.now(), mono: () => performance.now() };

function timestampMs(t: { seconds: bigint; nanos: number } | undefined): number | undefined {
  if (!t || (t.seconds === 0n && t.nanos === 0)) return undefined;
  return Number(t.seconds) * 1000 + t.nanos / 1e6;
}

/**
 * Estimates the offset NTP-style without a time protocol: sends `samples` one-token generate requests one at a time
 * and reads the first reply's `created_at` (Ollama's field; every wire carries it), which the server stamped between
 * the send and the arrival. The sample with the shortest round trip wins; its midpoint is the local time of the
 * stamp. Every agent measures against the same server, so their offsets compare their clocks with each other.
 * Resolves to undefined when no reply carried a timestamp.
 */
export async function probeClockOffset(
  client: InferenceClient,
  request: GenerateRequestInit,
  via: string,
  samples = 7,
  clock: ProbeClock = realClock,
): Promise<ClockOffset | undefined> {
  let best: { rtt: number; offset: number } | undefined;
  let got = 0;
  let wholeMs = true;
  for (let i = 0; i < samples; i++) {
    const m0 = clock.mono();
    const w0 = clock.wall();
    let stamp: number | undefined;
    let rtt = 0;
    try {
      for await (const r of client.generate(
        { model: request.model, prompt: request.prompt ?? "clock", options: { numPredict: 1 } },
        { timeoutMs: 10_000 },
      )) {
        if (stamp === undefined) {
          rtt = clock.mono() - m0;
          stamp = timestampMs(r.createdAt);
        }
      }
    } catch {
      continue;
    }
    if (stamp === undefined) continue;
    got++;
    if (!Number.isInteger(stamp)) wholeMs = false;
    const offset = stamp - (w0 + rtt / 2);
    if (!best || rtt < best.rtt) best = { rtt, offset };
  }
  if (!best) return undefined;
  return { offsetMs: best.offset, uncertaintyMs: best.rtt / 2 + (wholeMs ? 1 : 0), samples: got, via };
}
