import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "@modelwire/core";

const NS = new Map<string, bigint>([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n],
  ["\u03bcs", 1_000n],
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);
const TWO_63 = 1n << 63n;
const UNIT_END = /[.0-9]/;

/** Go's leadingInt: the leading decimal digits as an integer, or `undefined` past 2^63 (Go's overflow). */
function leadingInt(s: string): { x: bigint; rest: string } | undefined {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === 0) return { x: 0n, rest: s };
  const digits = s.slice(0, i).replace(/^0+/, "");
  if (digits.length > 19) return undefined; // 2^63 has 19 digits: no need to build a huge integer to know
  const x = BigInt(digits || "0");
  return x > TWO_63 ? undefined : { x, rest: s.slice(i) };
}

/**
 * Go's leadingFraction: the digits after the point as an integer `x` and its `scale` (10^digits), digits beyond
 * what fits in 2^63 ignored, exactly as Go reads them (so a long fraction rounds the way Go's does).
 */
function leadingFraction(s: string): { x: bigint; scale: number; rest: string } {
  let i = 0;
  let x = 0n;
  let scale = 1;
  let overflow = false;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    if (overflow) continue;
    if (x > (TWO_63 - 1n) / 10n) {
      overflow = true;
      continue;
    }
    const y = x * 10n + BigInt(c - 48);
    if (y > TWO_63) {
      overflow = true;
      continue;
    }
    x = y;
    scale *= 10;
  }
  return { x, scale, rest: s.slice(i) };
}

/**
 * Parses a Go `time.ParseDuration` string ("300ms", "1.5h", "2h45m", "-1m") to nanoseconds, with Go's rules: a
 * sign, then one or more decimal numbers each with a unit (ns, us, µs, μs, ms, s, m, h); "0" alone needs no unit;
 * fractions are scaled in float64 as Go does; the result must fit in int64 (-2^63 included). Returns `undefined`
 * for text Go would reject. Linear in the input's length; callers bound that (e.g. the request body limit).
 */
export function parseGoDuration(text: string): bigint | undefined {
  let s = text;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return undefined;
  let d = 0n;
  while (s !== "") {
    if (s[0] !== "." && !(s[0] >= "0" && s[0] <= "9")) return undefined;
    const before = s.length;
    const int = leadingInt(s);
    if (!int) return undefined;
    let v = int.x;
    s = int.rest;
    const pre = s.length !== before;
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === ".") {
      s = s.slice(1);
      const len = s.length;
      ({ x: f, scale, rest: s } = leadingFraction(s));
      post = s.length !== len;
    }
    if (!pre && !post) return undefined;
    let i = 0;
    while (i < s.length && !UNIT_END.test(s[i])) i++;
    const unit = NS.get(s.slice(0, i));
    if (unit === undefined) return undefined;
    s = s.slice(i);
    if (v > TWO_63 / unit) return undefined;
    v *= unit;
    if (f > 0n) {
      // float64, as Go: nanosecond-accurate for fractions of any unit up to hours.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO_63) return undefined;
    }
    d += v;
    if (d > TWO_63) return undefined;
  }
  if (neg) return -d;
  return d > TWO_63 - 1n ? undefined : d;
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
    ns = secondsToNs(v, field);
  } else if (typeof v === "string") {
    const t = v.trim();
    ns = parseGoDuration(t);
    if (ns === undefined && /^[-+]?\d+(\.\d+)?$/.test(t)) ns = secondsToNs(Number(t), field);
    if (ns === undefined) {
      throw invalidArgument(
        field,
        `${field}: invalid duration "${v.slice(0, 64)}" (want seconds or a duration such as "5m")`,
      );
    }
  } else {
    throw invalidArgument(field, `${field} must be a number of seconds or a duration string`);
  }
  if (ns < 0n) return durationFromNs(-1_000_000_000n);
  return durationFromNs(ns);
}

/** The longest duration Go (hence Ollama) can hold: 2^63-1 ns, about 292 years. */
const MAX_DURATION_NS = (1n << 63n) - 1n;

/**
 * Seconds (a JSON number, or a number in a string) as nanoseconds: negative means "forever" (-1), a value past
 * Go's 2^63-1 ns (9,223,372,036.85 s, also every Infinity a huge text becomes) is InvalidArgument naming `field`.
 */
function secondsToNs(seconds: number, field: string): bigint {
  if (seconds < 0) return -1n;
  const ns = seconds * 1e9;
  if (!(ns < 2 ** 63)) {
    throw invalidArgument(
      field,
      `${field} is out of range: ${seconds} s (at most ${MAX_DURATION_NS / 1_000_000_000n} s, about 292 years)`,
    );
  }
  const whole = BigInt(Math.trunc(ns));
  return whole > MAX_DURATION_NS ? MAX_DURATION_NS : whole;
}

/** Writes `keep_alive` as Ollama marshals it: a negative duration as `-1`, otherwise a Go duration string. */
export function keepAliveToJson(d: Duration): string | number {
  const ns = durationToNs(d);
  return ns < 0n ? -1 : formatGoDuration(ns);
}
