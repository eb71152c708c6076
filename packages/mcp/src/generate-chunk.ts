/**
 * A direct Protobuf codec for the hot GenerateResponse *content* chunk (fields `model` = 1, `created_at` = 2,
 * `response` = 3, `thinking` = 4; nothing else set), written by hand because protobuf-es reflection was measured as
 * the largest single cost of a one-token generate: toBinary of a content chunk 1.85 µs and fromBinary 1.5 µs, of
 * ~35 µs CPU per request (server + client) in the package benchmark at 16 in flight (all protobuf-es work together:
 * ~12 µs). Anything else (the final chunk, unknown fields, negative timestamps, repeated fields) returns
 * `undefined` and the caller falls back to protobuf-es. Output and results are identical to protobuf-es (tests
 * compare them on random messages).
 */
import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { type GenerateResponse, GenerateResponseSchema } from "@modelwire/core";
import { FrameType, HEADER_SIZE, writeHeader } from "@modelwire/mcp-codec";

const utf8 = new TextEncoder();
/** Fatal, as protobuf-es decodes strings: invalid UTF-8 is declined here and reported by fromBinary. */
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(b: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(b);
  } catch {
    return undefined;
  }
}

/** UTF-8 length of a string as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function putVarint(b: Uint8Array, o: number, n: number): number {
  while (n >= 0x80) {
    b[o++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  b[o++] = n;
  return o;
}

function putString(b: Uint8Array, o: number, tag: number, s: string, len: number): number {
  b[o++] = tag;
  o = putVarint(b, o, len);
  if (len === s.length) {
    for (let i = 0; i < len; i++) b[o + i] = s.charCodeAt(i);
  } else utf8.encodeInto(s, b.subarray(o, o + len));
  return o + len;
}

/**
 * Encodes `chunk` as a whole DATA frame (header and payload in one buffer) when it is a plain content chunk;
 * otherwise returns `undefined` (use protobuf-es). The payload is byte-identical to `toBinary(GenerateResponseSchema)`.
 */
export function encodeContentChunkFrame(
  streamId: number,
  sequence: number,
  chunk: GenerateResponse,
): Uint8Array | undefined {
  if (
    chunk.done ||
    chunk.doneReason !== "" ||
    chunk.context.length !== 0 ||
    chunk.metrics !== undefined ||
    (chunk as { $unknown?: unknown[] }).$unknown !== undefined
  ) {
    return undefined;
  }
  const ts = chunk.createdAt;
  let seconds = 0;
  let tsLen = 0;
  if (ts) {
    if ((ts as { $unknown?: unknown[] }).$unknown !== undefined) return undefined;
    if (ts.seconds < 0n || ts.seconds > BigInt(Number.MAX_SAFE_INTEGER) || ts.nanos < 0) return undefined;
    seconds = Number(ts.seconds);
    if (seconds !== 0) tsLen += 1 + varintSize(seconds);
    if (ts.nanos !== 0) tsLen += 1 + varintSize(ts.nanos);
  }
  const mLen = chunk.model === "" ? 0 : utf8Length(chunk.model);
  const rLen = chunk.response === "" ? 0 : utf8Length(chunk.response);
  const tLen = chunk.thinking === "" ? 0 : utf8Length(chunk.thinking);
  let size = 0;
  if (chunk.model !== "") size += 1 + varintSize(mLen) + mLen;
  if (ts) size += 1 + varintSize(tsLen) + tsLen;
  if (chunk.response !== "") size += 1 + varintSize(rLen) + rLen;
  if (chunk.thinking !== "") size += 1 + varintSize(tLen) + tLen;
  const out = new Uint8Array(HEADER_SIZE + size);
  writeHeader(out, 0, FrameType.Data, 0, 0, streamId, sequence, size);
  let o = HEADER_SIZE;
  if (chunk.model !== "") o = putString(out, o, 0x0a, chunk.model, mLen);
  if (ts) {
    out[o++] = 0x12;
    o = putVarint(out, o, tsLen);
    if (seconds !== 0) {
      out[o++] = 0x08;
      o = putVarint(out, o, seconds);
    }
    if (ts.nanos !== 0) {
      out[o++] = 0x10;
      o = putVarint(out, o, ts.nanos);
    }
  }
  if (chunk.response !== "") o = putString(out, o, 0x1a, chunk.response, rLen);
  if (chunk.thinking !== "") putString(out, o, 0x22, chunk.thinking, tLen);
  return out;
}

/** Reads a varint of at most 8 bytes at `p.o`; -1 when longer, truncated or above 2^53 − 1. */
function readVarint(b: Uint8Array, p: { o: number }): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    if (p.o >= b.length) return -1;
    const x = b[p.o++];
    result += (x & 0x7f) * mul;
    if (x < 0x80) return result <= Number.MAX_SAFE_INTEGER ? result : -1;
    mul *= 128;
  }
  return -1;
}

function readString(b: Uint8Array, p: { o: number }): string | undefined {
  const n = readVarint(b, p);
  if (n < 0 || n > b.length - p.o) return undefined;
  const start = p.o;
  p.o += n;
  // Short ASCII (the usual token) without the decoder call.
  if (n <= 32) {
    let s = "";
    for (let i = start; i < start + n; i++) {
      const c = b[i];
      if (c >= 0x80) return decodeUtf8(b.subarray(start, start + n));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decodeUtf8(b.subarray(start, start + n));
}

/**
 * Decodes a GenerateResponse payload that holds only content-chunk fields (model, created_at, response,
 * thinking, each at most once); returns `undefined` for anything else (use protobuf-es `fromBinary`, which also
 * reports malformed input). The result equals what `fromBinary(GenerateResponseSchema)` returns.
 */
export function decodeContentChunk(b: Uint8Array): GenerateResponse | undefined {
  const p = { o: 0 };
  let model: string | undefined;
  let response: string | undefined;
  let thinking: string | undefined;
  let seconds: number | undefined;
  let nanos: number | undefined;
  let hasTs = false;
  while (p.o < b.length) {
    const tag = b[p.o++];
    if (tag === 0x0a && model === undefined) model = readString(b, p);
    else if (tag === 0x1a && response === undefined) response = readString(b, p);
    else if (tag === 0x22 && thinking === undefined) thinking = readString(b, p);
    else if (tag === 0x12 && !hasTs) {
      hasTs = true;
      const n = readVarint(b, p);
      if (n < 0 || n > b.length - p.o) return undefined;
      const end = p.o + n;
      while (p.o < end) {
        const t = b[p.o++];
        if (t === 0x08 && seconds === undefined) seconds = readVarint(b, p);
        else if (t === 0x10 && nanos === undefined) nanos = readVarint(b, p);
        else return undefined;
        if (p.o > end) return undefined;
      }
      if ((seconds !== undefined && seconds < 0) || (nanos !== undefined && (nanos < 0 || nanos > 0x7fffffff))) {
        return undefined;
      }
      continue;
    } else return undefined;
    if (p.o > b.length) return undefined;
    if ((tag === 0x0a && model === undefined) || (tag === 0x1a && response === undefined)) return undefined;
    if (tag === 0x22 && thinking === undefined) return undefined;
  }
  return create(GenerateResponseSchema, {
    model: model ?? "",
    response: response ?? "",
    thinking: thinking ?? "",
    createdAt: hasTs ? create(TimestampSchema, { seconds: BigInt(seconds ?? 0), nanos: nanos ?? 0 }) : undefined,
  });
}
