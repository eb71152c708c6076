/**
 * A direct Protobuf decoder for `modelwire.v1.InferenceRequest` (the OPEN body), written by hand because it is on
 * every request's path on the server and has three simple fields; it reads what protobuf-es `fromBinary` reads and
 * rejects what it rejects (the tests check that). The encoder is the OPEN frame's (open-frame.ts).
 *
 * Wire: field 1 `model_version` (string, tag 0x0A), field 2 `input_data` (bytes, tag 0x12), field 3 `metadata`
 * (map<string,string>: repeated entry messages, tag 0x1A, each with key tag 0x0A and value tag 0x12).
 */

/** A decoded InferenceRequest; `inputData` is a zero-copy view into the frame. */
export interface InferenceRequestView {
  modelVersion: string;
  inputData: Uint8Array;
  metadata: Record<string, string>;
}

const utf8Strict = new TextDecoder("utf-8", { fatal: true });

class Truncated extends Error {}

function readVarint(b: Uint8Array, p: { o: number }): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (p.o >= b.length) throw new Truncated("truncated varint");
    const x = b[p.o++];
    result += (x & 0x7f) * mul;
    if (x < 0x80) return result;
    mul *= 128;
  }
  throw new Truncated("varint too long");
}

/** A field tag: a varint that fits 32 bits, as protobuf-es requires ("varint overflows uint32" otherwise). */
function readTag(b: Uint8Array, p: { o: number }): number {
  const start = p.o;
  const t = readVarint(b, p);
  if (p.o - start > 5 || t > 0xffffffff) throw new Truncated("illegal tag: varint overflows uint32");
  return t;
}

function readLen(b: Uint8Array, p: { o: number }): Uint8Array {
  const n = readVarint(b, p);
  if (n > b.length - p.o) throw new Truncated("length-delimited field overruns the message");
  const v = b.subarray(p.o, p.o + n);
  p.o += n;
  return v;
}

function skip(b: Uint8Array, p: { o: number }, wire: number): void {
  if (wire === 0) readVarint(b, p);
  else if (wire === 1) p.o += 8;
  else if (wire === 2) readLen(b, p);
  else if (wire === 5) p.o += 4;
  else throw new Truncated(`unsupported wire type ${wire}`);
  if (p.o > b.length) throw new Truncated("field overruns the message");
}

/**
 * Decodes an InferenceRequest without reflection (the server's hot path). Unknown fields are skipped, as Protobuf
 * requires; throws an `Error` describing the defect for malformed input (the caller maps it to InvalidArgument).
 */
export function decodeInferenceRequest(b: Uint8Array): InferenceRequestView {
  const fast = decodeCommon(b);
  if (fast !== undefined) return fast;
  const p = { o: 0 };
  let modelVersion = "";
  let inputData: Uint8Array = new Uint8Array(0);
  const metadata: Record<string, string> = {};
  while (p.o < b.length) {
    const tag = readTag(b, p);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === 2) modelVersion = utf8Strict.decode(readLen(b, p));
    else if (field === 2 && wire === 2) inputData = readLen(b, p);
    else if (field === 3 && wire === 2) {
      const entry = readLen(b, p);
      const q = { o: 0 };
      let k = "";
      let v = "";
      while (q.o < entry.length) {
        const t = readTag(entry, q);
        if (t === 0x0a) k = utf8Strict.decode(readLen(entry, q));
        else if (t === 0x12) v = utf8Strict.decode(readLen(entry, q));
        // A map entry holds a key and a value only; protobuf-es mis-reads anything else (it skips the tag but
        // not the value), so no reading of it can agree with the sender: reject it.
        else throw new Truncated(`tag ${t} in a metadata entry`);
      }
      // A plain assignment to "__proto__" would set the prototype (and drop the entry): define it as a key.
      if (k === "__proto__")
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      else metadata[k] = v;
    } else if (field === 0) throw new Truncated("field number 0");
    else if (field <= 3) throw new Truncated(`field ${field} has wire type ${wire}, not length-delimited`);
    else skip(b, p, wire);
  }
  return { modelVersion, inputData, metadata };
}

const NO_INPUT: Uint8Array = new Uint8Array(0);

/**
 * The common request, decoded without cursor objects or the UTF-8 decoder call: an ASCII `model_version` (field 1)
 * of fewer than 128 bytes, then at most an `input_data` (field 2) and nothing else. `undefined` for anything else
 * (metadata, non-ASCII, other field order, malformed input): the general decoder handles it, errors included.
 */
function decodeCommon(b: Uint8Array): InferenceRequestView | undefined {
  const len = b.length;
  let o = 0;
  let modelVersion = "";
  if (len >= 2 && b[0] === 0x0a) {
    const n = b[1];
    if (n >= 0x80 || n > len - 2) return undefined;
    o = 2 + n;
    for (let i = 2; i < o; i++) {
      const c = b[i];
      if (c >= 0x80) return undefined;
      modelVersion += String.fromCharCode(c);
    }
  }
  let inputData = NO_INPUT;
  if (o < len) {
    if (b[o] !== 0x12) return undefined;
    let n = 0;
    let shift = 1;
    let i = o + 1;
    for (; ; i++) {
      if (i >= len || i > o + 5) return undefined;
      const x = b[i];
      n += (x & 0x7f) * shift;
      shift *= 128;
      if (x < 0x80) break;
    }
    const start = i + 1;
    if (n !== len - start) return undefined; // more fields follow (or it overruns): the general decoder decides
    inputData = b.subarray(start, len);
  }
  return { modelVersion, inputData, metadata: {} };
}
