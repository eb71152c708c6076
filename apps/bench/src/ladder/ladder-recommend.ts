import type { LadderResult, LadderStep } from "./ladder.js";

const x = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "n/a" : `${v.toFixed(2)}×`);

function step(steps: readonly LadderStep[], n: number): LadderStep | undefined {
  return steps.find((s) => s.step === n);
}

/**
 * The ladder's recommendation, generated from its figures only: per wire, the rung that bought the most
 * throughput; across wires, the leader on the plain concurrent rung (3) and with the cache (4); whether the cache
 * paid at this repeat share; and what preloading saved a first call.
 */
export function ladderRecommendation(r: LadderResult): string[] {
  const out: string[] = [];
  if (r.exitCode === 3) out.push("Token verification FAILED on some step: the figures below are not trustworthy.");
  if (r.exitCode === 4) out.push("Some calls failed (see the errors column); figures count successful calls only.");
  for (const w of r.wires) {
    const gains = w.steps.filter((s) => s.step >= 2 && s.step <= 4 && s.throughputGain !== undefined);
    const best = gains.reduce<LadderStep | undefined>(
      (a, s) => (a === undefined || (s.throughputGain ?? 0) > (a.throughputGain ?? 0) ? s : a),
      undefined,
    );
    if (best)
      out.push(
        `${w.transport}: the biggest step is ${best.step} (${best.name}), ${x(best.throughputGain)} throughput.`,
      );
  }
  const lead = (n: number) =>
    r.wires
      .map((w) => ({ t: w.transport, s: step(w.steps, n) }))
      .filter((e): e is { t: string; s: LadderStep } => e.s !== undefined)
      .sort((a, b) => b.s.throughputRps - a.s.throughputRps)[0];
  const l3 = lead(3);
  const l4 = lead(4);
  if (l3) out.push(`Concurrent calls without the cache: ${l3.t} leads at ${l3.s.throughputRps.toFixed(0)} req/s.`);
  if (l4) {
    out.push(
      `With the cache and ${(r.config.workload.repeatShare * 100).toFixed(0)} % repeated prompts: ${l4.t} leads at ${l4.s.throughputRps.toFixed(0)} req/s.`,
    );
  }
  const cacheGains = r.wires.map((w) => step(w.steps, 4)?.throughputGain).filter((g): g is number => g !== undefined);
  if (cacheGains.length > 0) {
    const lo = Math.min(...cacheGains);
    const hi = Math.max(...cacheGains);
    out.push(
      lo > 1.05
        ? `Turn the response cache on (--cache-mb) for deterministic traffic like this: ${x(lo)}–${x(hi)} throughput over step 3.`
        : `The response cache did not pay at this repeat share (${x(lo)}–${x(hi)} over step 3): leave it off, or measure with your own share.`,
    );
  }
  const loads = r.wires.map((w) => step(w.steps, 5)).filter((s): s is LadderStep => s !== undefined && !s.skipped);
  if (loads.length > 0) {
    const loadMs = Math.max(...loads.map((s) => s.coldLoadMs ?? 0));
    const gain = loads.map((s) => s.e2eP50Gain ?? 1);
    out.push(
      loadMs > 0
        ? `Preload the model (--preload, --keep-alive): a cold first call paid ~${loadMs.toFixed(0)} ms of load; preloaded calls were ${x(Math.min(...gain))}–${x(Math.max(...gain))} faster (E2E p50).`
        : "The engine reported no load time (load_duration 0), so preloading buys nothing here; on a real Ollama it saves the first call its model load.",
    );
  }
  return out;
}
