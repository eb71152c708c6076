import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readResultFile } from "./merge.js";
import type { ScenarioResult, TransportSummary } from "./result.js";
import { ExitCode, parseSlos } from "./slo.js";
import { summarizeScenario } from "./summarize.js";
import { exitCodeOf, runVerdict } from "./verdict.js";

const FIXTURE = new URL("./test-support/fixtures/recorded-result.json", import.meta.url).pathname;
const count = fc.nat({ max: 5 });
const verification = fc.record({
  streams: fc.nat({ max: 1000 }),
  failedStreams: count,
  lost: count,
  duplicated: count,
  outOfOrder: count,
  mismatched: count,
});

/** A summary carrying only what the verdict reads. */
function summary(
  transport: string,
  verify: TransportSummary["merged"]["verify"],
  breached: boolean,
  warnings: string[],
): TransportSummary {
  const slo = parseSlos("ttft_p99<50ms")[0];
  return {
    transport,
    merged: { verify },
    slo: [{ slo, ok: !breached, actual: breached ? 80 : 10 }],
    warnings,
  } as unknown as TransportSummary;
}

describe("the exit code rule", () => {
  it("verification failure beats an SLO breach, which beats success; lost tokens alone fail no stream", () => {
    fc.assert(
      fc.property(verification, count, (v, breaches) => {
        const code = exitCodeOf(v, Array(breaches).fill({}));
        if (v.failedStreams + v.duplicated + v.outOfOrder + v.mismatched > 0)
          expect(code).toBe(ExitCode.VerificationFailed);
        else expect(code).toBe(breaches > 0 ? ExitCode.SloBreached : ExitCode.Ok);
      }),
    );
  });

  it("the run verdict adds every summary's verification, lists each breach and warning, and applies the rule", () => {
    const scenarioArb = fc.array(fc.tuple(verification, fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(fc.array(scenarioArb, { maxLength: 3 }), (specs) => {
        const scenarios = specs.map(
          (s, i) =>
            ({
              scenario: { name: `s${i}` },
              windows: [],
              summaries: s.map(([v, breached, warned], j) => summary(`t${j}`, v, breached, warned ? ["busy"] : [])),
            }) as unknown as ScenarioResult,
        );
        const verdict = runVerdict(scenarios);
        const all = specs.flat();
        expect(verdict.verification.streams).toBe(all.reduce((a, [v]) => a + v.streams, 0));
        expect(verdict.verification.lost).toBe(all.reduce((a, [v]) => a + v.lost, 0));
        expect(verdict.sloBreaches).toHaveLength(all.filter(([, b]) => b).length);
        expect(verdict.generatorWarnings).toHaveLength(all.filter(([, , w]) => w).length);
        expect(verdict.exitCode).toBe(exitCodeOf(verdict.verification, verdict.sloBreaches));
      }),
    );
  });

  it("a recorded result's verdict is what summarizing its windows again gives (the runner's and merge's rule)", async () => {
    const r = await readResultFile(FIXTURE);
    const slos = parseSlos(r.slos.join(","));
    const again = r.scenarios.map((sr) => summarizeScenario(sr.scenario, sr.windows, slos));
    // Every figure's median and spread as the run that recorded the file computed them (figures added since the
    // file was recorded are absent from it: the windows hold nothing for them, so they summarize to NaN).
    for (const [i, sr] of again.entries())
      for (const [j, s] of sr.summaries.entries()) {
        const recorded = r.scenarios[i].summaries[j].figures;
        for (const [name, spread] of Object.entries(s.figures)) {
          if (name in recorded) expect(spread, name).toEqual(recorded[name as keyof typeof recorded]);
          else if (name !== "tokensPerChunk") expect(spread.median, name).toBeNaN();
        }
      }
    const v = runVerdict(again);
    // The file predates the verification mode: its checks were the synthetic engine's tokens.
    expect(v.verification).toEqual({ ...r.verification, mode: "tokens" });
    expect(v.sloBreaches).toEqual(r.sloBreaches);
    expect(v.exitCode).toBe(r.exitCode);
  });
});
