/**
 * A direct Protobuf encoder for `modelwire.v1.InferenceRequest` (the OPEN body), written by hand because it is on
 * every request's path and has three simple fields; its output is byte-identical to protobuf-es `toBinary` (the
 * tests check that).
 *
 * Wire: field 1 `model_version` (string, tag 0x0A), field 2 `input_data` (bytes, tag 0x12), field 3 `metadata`
 * (map<string,string>: repeated entry messages, tag 0x1A, each with key tag 0x0A and value tag 0x12).
 */
const utf8 = new TextEncoder();

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
    b[o++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  b[o++] = n;
  return o;
}

/** Encodes an InferenceRequest; empty fields are omitted as proto3 does. */
export function encodeInferenceRequest(
  modelVersion: string,
  input: Uint8Array,
  metadata: Record<string, string> | undefined,
): Uint8Array {
  const mv = modelVersion.length > 0 ? utf8.encode(modelVersion) : undefined;
  let size = 0;
  if (mv) size += 1 + varintSize(mv.length) + mv.length;
  if (input.length > 0) size += 1 + varintSize(input.length) + input.length;
  let entries: [Uint8Array, Uint8Array, number][] | undefined;
  if (metadata) {
    for (const k in metadata) {
      const kb = utf8.encode(k);
      const vb = utf8.encode(metadata[k]);
      // Map entries always carry both key and value, as protobuf-es writes them.
      const inner = 1 + varintSize(kb.length) + kb.length + 1 + varintSize(vb.length) + vb.length;
      (entries ??= []).push([kb, vb, inner]);
      size += 1 + varintSize(inner) + inner;
    }
  }
  const out = new Uint8Array(size);
  let o = 0;
  if (mv) {
    out[o++] = 0x0a;
    o = putVarint(out, o, mv.length);
    out.set(mv, o);
    o += mv.length;
  }
  if (input.length > 0) {
    out[o++] = 0x12;
    o = putVarint(out, o, input.length);
    out.set(input, o);
    o += input.length;
  }
  if (entries) {
    for (const [kb, vb, inner] of entries) {
      out[o++] = 0x1a;
      o = putVarint(out, o, inner);
      out[o++] = 0x0a;
      o = putVarint(out, o, kb.length);
      out.set(kb, o);
      o += kb.length;
      out[o++] = 0x12;
      o = putVarint(out, o, vb.length);
      out.set(vb, o);
      o += vb.length;
    }
  }
  return out;
}
