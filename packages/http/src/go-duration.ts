import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "@modelwire/core";

const NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n,
  "\u03bcs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_INT64 = (1n << 63n) - 1n;
const COMPONENT = /^(\d*)(?:\.(\d*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;

/**
 * Parses a Go `time.ParseDuration` string ("300ms", "1.5h", "2h45m", "-1m") to nanoseconds. Returns `undefined`
 * for text Go would reject.
 */
export function parseGoDuration(text: string): bigint | undefined {
  let s = text;
  let neg = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return undefined;
  let total = 0n;
  while (s.length > 0) {
    const m = COMPONENT.exec(s);
    if (!m) return undefined;
    const [all, whole, frac = "", unit] = m;
    if (whole === "" && frac === "") return undefined;
    const scale = NS[unit];
    let v = BigInt(whole || "0") * scale;
    if (frac !== "") v += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    total += v;
    if (total > MAX_INT64 + (neg ? 1n : 0n)) return undefined;
    s = s.slice(all.length);
  }
  return neg ? -total : total;
}

function frac(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const whole = value / scale;
  const rest = (value % scale).toString().padStart(digits, "0").replace(/0+$/, "");
  return rest ? `${whole}.${rest}` : `${whole}`;
}

/** Formats nanoseconds as Go's `time.Duration.String()` does ("5m0s", "1h30m0s", "1.5s", "250ms", "0s"). */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return "0s";
  const sign = ns < 0n ? "-" : "";
  const u = ns < 0n ? -ns : ns;
  if (u < 1_000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${frac(u, 3)}\u00b5s`;
  if (u < 1_000_000_000n) return `${sign}${frac(u, 6)}ms`;
  const seconds = `${frac(u % 60_000_000_000n, 9)}s`;
  const minutes = u / 60_000_000_000n;
  if (minutes === 0n) return `${sign}${seconds}`;
  const hours = minutes / 60n;
  return `${sign}${hours > 0n ? `${hours}h` : ""}${minutes % 60n}m${seconds}`;
}

/** A protobuf Duration from nanoseconds. */
export function durationFromNs(ns: bigint): Duration {
  return create(DurationSchema, { seconds: ns / 1_000_000_000n, nanos: Number(ns % 1_000_000_000n) });
}

/** Nanoseconds of a protobuf Duration. */
export function durationToNs(d: Duration): bigint {
  return d.seconds * 1_000_000_000n + BigInt(d.nanos);
}

/**
 * Reads Ollama's `keep_alive`: a number of seconds or a Go duration string ("5m", "1h30m"); a bare number in a
 * string ("300", "-1") is read as seconds, as Ollama reads `OLLAMA_KEEP_ALIVE`. Any negative value means "keep
 * loaded forever" and becomes a Duration of exactly -1 s. Throws InvalidArgument naming `field` otherwise.
 */
export function keepAliveFromJson(v: unknown, field = "keep_alive"): Duration {
  let ns: bigint | undefined;
  if (typeof v === "number" && Number.isFinite(v)) {
    ns = v < 0 ? -1n : BigInt(Math.trunc(v * 1e9));
  } else if (typeof v === "string") {
    const t = v.trim();
    ns = parseGoDuration(t);
    if (ns === undefined && /^[-+]?\d+(\.\d+)?$/.test(t)) ns = BigInt(Math.trunc(Number(t) * 1e9));
    if (ns === undefined) {
      throw invalidArgument(field, `${field}: invalid duration "${v}" (want seconds or a duration such as "5m")`);
    }
  } else {
    throw invalidArgument(field, `${field} must be a number of seconds or a duration string`);
  }
  if (ns < 0n) return durationFromNs(-1_000_000_000n);
  return durationFromNs(ns);
}

/** Writes `keep_alive` as Ollama marshals it: a negative duration as `-1`, otherwise a Go duration string. */
export function keepAliveToJson(d: Duration): string | number {
  const ns = durationToNs(d);
  return ns < 0n ? -1 : formatGoDuration(ns);
}
