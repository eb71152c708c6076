import type { BenchResult } from "../result.js";

/** The verification mode's name in words. */
const MODE_WORDS: Record<string, string> = {
  tokens: "token by token against the synthetic engine",
  consistency:
    "cross-wire consistency (a seed and temperature 0: the same request must give the same text on every wire)",
  "tokens+consistency": "token by token on the synthetic engine, and cross-wire consistency on the real one",
  none: "nothing could be checked",
};

/** The verification section's sentences (Markdown and HTML say the same). */
export function verificationLines(r: BenchResult): string[] {
  const v = r.verification;
  const mode = v.mode ?? "tokens";
  const L = [`Verification mode: ${mode} — ${MODE_WORDS[mode] ?? mode}.`];
  if (v.streams > 0 || mode === "tokens")
    L.push(
      `${v.streams} streams verified token by token: ${v.failedStreams} failed, ${v.lost} lost, ${v.duplicated} duplicated, ${v.outOfOrder} out of order, ${v.mismatched} mismatched.`,
    );
  const c = v.consistency;
  if (c) {
    L.push(
      `${c.streams} streams of ${c.requests} distinct reproducible requests compared across wires: ${c.inconsistent} gave different text${c.unchecked ? ` (${c.unchecked} streams not compared: too many distinct requests)` : ""}.`,
    );
    for (const e of c.examples)
      L.push(
        `Different text in ${e.scenario} for request ${e.key.slice(0, 12)}… on ${e.transports.join(" vs ")}${e.at !== undefined ? ` from character ${e.at}: "${e.firstText}" vs "${e.text}"` : e.text ? `: "${e.text.slice(0, 80)}"` : ""}.`,
      );
  }
  return L;
}

/** The recommendation's sentence about verification, or undefined when nothing was checked. */
export function verificationVerdict(r: BenchResult): string | undefined {
  const v = r.verification;
  const parts: string[] = [];
  if (v.streams > 0) {
    const bad = v.failedStreams + v.lost + v.duplicated + v.outOfOrder + v.mismatched;
    parts.push(
      bad === 0
        ? `Every one of ${v.streams} streams delivered exactly the synthetic engine's tokens (0 lost, duplicated or out of order).`
        : `Token verification FAILED: ${v.failedStreams} bad streams, ${v.lost} lost, ${v.duplicated} duplicated, ${v.outOfOrder} out of order, ${v.mismatched} mismatched — treat this run's figures with suspicion.`,
    );
  }
  const c = v.consistency;
  if (c)
    parts.push(
      c.inconsistent === 0
        ? `Every wire gave the same text for the same request (${c.requests} reproducible requests, ${c.streams} streams compared).`
        : `Cross-wire consistency FAILED: ${c.inconsistent} of ${c.requests} reproducible requests gave different text (${c.examples.map((e) => e.transports.join(" vs ")).join("; ")}) — a wire changed the output, or the server is not deterministic at temperature 0.`,
    );
  return parts.length ? parts.join(" ") : undefined;
}

/** One line per server the bench did not start, for the report's header. */
export function targetLines(r: BenchResult): string[] {
  return (r.targets ?? []).map(
    (t) =>
      `${t.role === "upstream" ? "upstream (the gateway runs in front of it; direct = straight to it)" : `target ${t.transport}`}: ${t.address}${t.model ? `, model ${t.model}` : ""}${t.serverMeasured ? ", server figures from its /control/stats" : ", server cost not measured (foreign server)"}`,
  );
}
