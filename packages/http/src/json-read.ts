import { invalidArgument, type ModelwireError } from "@modelwire/core";

/** A JSON object as `JSON.parse` returns it. */
export type JsonRecord = { [key: string]: unknown };

/** The name a JSON value's type has in an error message ("string", "number", "array", "object", "null" ...). */
export function jsonTypeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function wrongType(field: string, want: string, got: unknown): ModelwireError {
  return invalidArgument(field, `${field} must be ${want}, got ${jsonTypeName(got)}`);
}

/** True for a plain JSON object (not an array, not null). */
export function isRecord(v: unknown): v is JsonRecord {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Requires a JSON object; `what` names it in the error (e.g. "request body"). */
export function asRecord(v: unknown, field: string): JsonRecord {
  if (!isRecord(v)) throw wrongType(field, "a JSON object", v);
  return v;
}

/** Joins a parent path and a key: `path("options", "top_k")` is `"options.top_k"`. */
export function path(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/** Reads a string field; absent or null gives `""`, another type throws InvalidArgument naming the field. */
export function readString(o: JsonRecord, key: string, parent = ""): string {
  const v = o[key];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw wrongType(path(parent, key), "a string", v);
  return v;
}

/** Reads a boolean field; absent or null gives `undefined`. */
export function readOptionalBool(o: JsonRecord, key: string, parent = ""): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw wrongType(path(parent, key), "a boolean", v);
  return v;
}

/** Reads a boolean field; absent or null gives `false`. */
export function readBool(o: JsonRecord, key: string, parent = ""): boolean {
  return readOptionalBool(o, key, parent) ?? false;
}

/** Checks a number is an integer in [min, max]; throws InvalidArgument naming `field` otherwise. */
export function checkInteger(v: unknown, field: string, min: number, max: number, truncate = false): number {
  if (typeof v !== "number") throw wrongType(field, "an integer", v);
  const n = truncate ? Math.trunc(v) : v;
  if (!Number.isInteger(n)) throw invalidArgument(field, `${field} must be an integer, got ${v}`);
  if (n < min || n > max) throw invalidArgument(field, `${field} must be within [${min}, ${max}], got ${v}`);
  return n;
}

/** The int32 range. */
export const INT32 = [-0x8000_0000, 0x7fff_ffff] as const;

/** Reads an int32 field; absent or null gives 0. */
export function readInt32(o: JsonRecord, key: string, parent = ""): number {
  const v = o[key];
  if (v === undefined || v === null) return 0;
  return checkInteger(v, path(parent, key), INT32[0], INT32[1]);
}

/** Reads an int64 field (a JSON number, or a decimal string as protobuf JSON allows); absent or null gives 0n. */
export function readInt64(o: JsonRecord, key: string, parent = ""): bigint {
  const v = o[key];
  if (v === undefined || v === null) return 0n;
  const field = path(parent, key);
  if (typeof v === "string" && /^-?\d{1,19}$/.test(v)) return BigInt(v);
  return BigInt(checkInteger(v, field, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
}

/** Reads a finite number field; absent or null gives 0. */
export function readNumber(o: JsonRecord, key: string, parent = ""): number {
  const v = o[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== "number" || !Number.isFinite(v)) throw wrongType(path(parent, key), "a number", v);
  return v;
}

/** Reads an array field; absent or null gives `[]`; each element goes through `item` with its path. */
export function readArray<T>(o: JsonRecord, key: string, parent: string, item: (v: unknown, field: string) => T): T[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  const field = path(parent, key);
  if (!Array.isArray(v)) throw wrongType(field, "an array", v);
  return v.map((e, i) => item(e, path(field, i)));
}

/** An array element that must be a string. */
export function stringItem(v: unknown, field: string): string {
  if (typeof v !== "string") throw wrongType(field, "a string", v);
  return v;
}

/** Reads an optional JSON object field; absent or null gives `undefined`. */
export function readOptionalRecord(o: JsonRecord, key: string, parent = ""): JsonRecord | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  return asRecord(v, path(parent, key));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes a standard (padded) base64 string strictly, as Go's encoding/json does for `[]byte`. */
export function decodeBase64(v: unknown, field: string): Uint8Array {
  if (typeof v !== "string") throw wrongType(field, "a base64 string", v);
  if (!BASE64.test(v)) throw invalidArgument(field, `${field} is not valid base64`);
  const b = Buffer.from(v, "base64");
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Encodes bytes as standard padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
