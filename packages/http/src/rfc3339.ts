import { create } from "@bufbuild/protobuf";
import { type Timestamp, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "@modelwire/core";

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Formats a Timestamp as Go's `time.Time` marshals to JSON (RFC 3339 with up to nine fractional digits, trailing
 * zeros dropped, UTC as "Z"): `2026-01-01T12:00:00.123456789Z`.
 */
export function formatRfc3339(ts: Timestamp): string {
  const ms = Number(ts.seconds) * 1000;
  const base = new Date(ms).toISOString().slice(0, 19);
  const fraction = ts.nanos === 0 ? "" : `.${String(ts.nanos).padStart(9, "0").replace(/0+$/, "")}`;
  return `${base}${fraction}Z`;
}

/** Parses an RFC 3339 timestamp with up to nanosecond precision and any offset; throws InvalidArgument naming `field`. */
export function parseRfc3339(v: unknown, field: string): Timestamp {
  if (typeof v !== "string") throw invalidArgument(field, `${field} must be an RFC 3339 timestamp string`);
  const m = RFC3339.exec(v);
  if (!m) throw invalidArgument(field, `${field}: invalid RFC 3339 timestamp "${v}"`);
  const [, y, mo, d, h, mi, s, f = "", z, sign, oh, om] = m;
  const parts = [y, mo, d, h, mi, s].map(Number);
  let ms = Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5]);
  const check = new Date(ms);
  if (
    Number.isNaN(ms) ||
    check.getUTCDate() !== parts[2] ||
    check.getUTCMonth() !== parts[1] - 1 ||
    parts[3] > 23 ||
    parts[4] > 59 ||
    parts[5] > 59
  ) {
    throw invalidArgument(field, `${field}: invalid RFC 3339 timestamp "${v}"`);
  }
  if (parts[0] < 100) {
    // Date.UTC maps years 0-99 to 1900-1999.
    const dt = new Date(ms);
    dt.setUTCFullYear(parts[0]);
    ms = dt.getTime();
  }
  if (!z) {
    const offset = (Number(oh) * 60 + Number(om)) * 60_000;
    ms += sign === "+" ? -offset : offset;
  }
  const nanos = f === "" ? 0 : Number(f.padEnd(9, "0"));
  return create(TimestampSchema, { seconds: BigInt(Math.floor(ms / 1000)), nanos });
}
