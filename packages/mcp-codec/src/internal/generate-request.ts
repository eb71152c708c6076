/**
 * A direct Protobuf encoder for `modelwire.v1.GenerateRequest`, written by hand so the client can write the request
 * straight into its OPEN frame (one allocation, image bytes copied once) instead of `toBinary` into a buffer of its
 * own that is then copied into the frame; protobuf-es reflection was also the largest cost of encoding a one-token
 * request (~1.5 µs). Its output is byte-identical to `toBinary(GenerateRequestSchema, req)` (tests compare them on
 * random requests): fields in field-number order, proto3 implicit presence (zero scalars and empty strings omitted),
 * `optional` fields and oneof members written whenever set, packed `context`, negative int32/int64 as 10-byte
 * varints, floats as little-endian fixed32.
 *
 * {@link planGenerateRequest} declines (returns `undefined`) whatever it does not write or whatever protobuf-es
 * would reject: `$unknown` fields on any of the messages, values of the wrong JS type, int32 values that are not
 * 32-bit integers, int64 values outside the int64 range, finite floats outside the float32 range. The caller then
 * uses protobuf-es `toBinary` (which also reports the invalid values).
 */
import type { Duration } from "@bufbuild/protobuf/wkt";
import type { GenerateRequest, Options, Think } from "@modelwire/core";
import { putUtf8, putVarint, putVarint64, utf8Length, varintSize } from "./proto-write.js";

/** A GenerateRequest measured for {@link writeGenerateRequest}: its encoded size and the lengths found on the way. */
export interface GenerateRequestPlan {
  /** The encoded size in bytes. */
  readonly size: number;
  /** @internal The request (not copied: do not modify it between planning and writing). */
  readonly req: GenerateRequest;
  /** @internal Whether `model` is left out (written as if empty). */
  readonly omitModel: boolean;
  /** @internal UTF-8 lengths of the non-empty strings, in write order. */
  readonly lens: number[];
  /** @internal Packed `context` body size. */
  readonly contextSize: number;
  /** @internal Sizes of the keep_alive, options and think message bodies (−1 when absent). */
  readonly keepAliveSize: number;
  readonly optionsSize: number;
  readonly thinkSize: number;
}

const FLOAT32_MAX = 3.4028234663852886e38;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const hasUnknown = (m: object): boolean => (m as { $unknown?: unknown }).$unknown !== undefined;
const isInt32 = (v: unknown): v is number => typeof v === "number" && (v | 0) === v;
const isFloat32 = (v: unknown): v is number =>
  typeof v === "number" && !(Number.isFinite(v) && (v > FLOAT32_MAX || v < -FLOAT32_MAX));
const isInt64 = (v: unknown): v is bigint => typeof v === "bigint" && v >= INT64_MIN && v <= INT64_MAX;

/** Size of an int32 varint (negative numbers are sign-extended to 64 bits: 10 bytes). */
const int32Size = (v: number): number => (v >= 0 ? varintSize(v) : 10);

function putInt32(b: Uint8Array, o: number, v: number): number {
  return v >= 0 ? putVarint(b, o, v) : putVarint64(b, o, v >>> 0, 0xffffffff);
}

function int64Size(v: bigint): number {
  if (v >= 0n && v <= MAX_SAFE) return varintSize(Number(v));
  if (v < 0n) return 10;
  return v < 2n ** 56n ? 8 : 9; // above 2^53: 8 bytes up to 2^56 − 1, 9 up to 2^63 − 1
}

function putInt64(b: Uint8Array, o: number, v: bigint): number {
  if (v >= 0n && v <= MAX_SAFE) return putVarint(b, o, Number(v));
  const u = BigInt.asUintN(64, v);
  return putVarint64(b, o, Number(u & 0xffffffffn), Number(u >> 32n));
}

const floatScratch = new DataView(new ArrayBuffer(4));

function putFloat(b: Uint8Array, o: number, v: number): number {
  floatScratch.setFloat32(0, v, true);
  b[o] = floatScratch.getUint8(0);
  b[o + 1] = floatScratch.getUint8(1);
  b[o + 2] = floatScratch.getUint8(2);
  b[o + 3] = floatScratch.getUint8(3);
  return o + 4;
}

/**
 * Options fields in wire order: getter, tag bytes, kind. A getter per field (not a table of keys): `opts[name]` was a
 * megamorphic keyed load per field, the encoder's largest cost for a request with options.
 */
type OptKind = "int32" | "int64" | "float" | "bool";
const OPTION_FIELDS: readonly (readonly [(o: Options) => unknown, readonly number[], OptKind])[] = [
  [(o) => o.numKeep, [0x08], "int32"],
  [(o) => o.seed, [0x10], "int64"],
  [(o) => o.numPredict, [0x18], "int32"],
  [(o) => o.topK, [0x20], "int32"],
  [(o) => o.topP, [0x2d], "float"],
  [(o) => o.minP, [0x35], "float"],
  [(o) => o.typicalP, [0x3d], "float"],
  [(o) => o.repeatLastN, [0x40], "int32"],
  [(o) => o.temperature, [0x4d], "float"],
  [(o) => o.repeatPenalty, [0x55], "float"],
  [(o) => o.presencePenalty, [0x5d], "float"],
  [(o) => o.frequencyPenalty, [0x65], "float"],
  // stop = 13 (repeated string, tag 0x6a) sits here in wire order: written between these and the runner options.
  [(o) => o.numCtx, [0xa0, 0x01], "int32"],
  [(o) => o.numBatch, [0xa8, 0x01], "int32"],
  [(o) => o.numGpu, [0xb0, 0x01], "int32"],
  [(o) => o.mainGpu, [0xb8, 0x01], "int32"],
  [(o) => o.useMmap, [0xc0, 0x01], "bool"],
  [(o) => o.numThread, [0xc8, 0x01], "int32"],
];
/** Index in OPTION_FIELDS before which `stop` is written. */
const STOP_BEFORE = 12;

/** Size of an Options body, pushing the UTF-8 lengths of `stop` onto `lens`; −2 when declined. */
function optionsSize(opts: Options, lens: number[]): number {
  if (hasUnknown(opts)) return -2;
  let size = 0;
  for (let i = 0; i < OPTION_FIELDS.length; i++) {
    if (i === STOP_BEFORE) {
      const stop = opts.stop;
      if (!Array.isArray(stop)) return -2;
      for (const s of stop) {
        if (typeof s !== "string") return -2;
        const n = s === "" ? 0 : utf8Length(s);
        lens.push(n);
        size += 1 + varintSize(n) + n;
      }
    }
    const [get, tag, kind] = OPTION_FIELDS[i];
    const v = get(opts);
    if (v === undefined) continue;
    size += tag.length;
    if (kind === "int32") {
      if (!isInt32(v)) return -2;
      size += int32Size(v);
    } else if (kind === "int64") {
      if (!isInt64(v)) return -2;
      size += int64Size(v);
    } else if (kind === "float") {
      if (!isFloat32(v)) return -2;
      size += 4;
    } else {
      if (typeof v !== "boolean") return -2;
      size += 1;
    }
  }
  return size;
}

function writeOptions(b: Uint8Array, o: number, opts: Options, lens: number[], li: number): number {
  for (let i = 0; i < OPTION_FIELDS.length; i++) {
    if (i === STOP_BEFORE) {
      for (const s of opts.stop) {
        const n = lens[li++];
        b[o++] = 0x6a;
        o = putUtf8(b, putVarint(b, o, n), s, n);
      }
    }
    const [get, tag, kind] = OPTION_FIELDS[i];
    const v = get(opts);
    if (v === undefined) continue;
    b[o++] = tag[0];
    if (tag.length > 1) b[o++] = tag[1];
    if (kind === "int32") o = putInt32(b, o, v as number);
    else if (kind === "int64") o = putInt64(b, o, v as bigint);
    else if (kind === "float") o = putFloat(b, o, v as number);
    else b[o++] = v ? 1 : 0;
  }
  return o;
}

function durationSize(d: Duration): number {
  if (hasUnknown(d) || !isInt64(d.seconds) || !isInt32(d.nanos)) return -2;
  let size = 0;
  if (d.seconds !== 0n) size += 1 + int64Size(d.seconds);
  if (d.nanos !== 0) size += 1 + int32Size(d.nanos);
  return size;
}

/** Size of a Think body, pushing the level's UTF-8 length onto `lens`; −2 when declined. */
function thinkSize(t: Think, lens: number[]): number {
  if (hasUnknown(t)) return -2;
  const v = t.value;
  if (v.case === undefined) return 0;
  if (v.case === "enabled") return typeof v.value === "boolean" ? 2 : -2;
  if (v.case === "level" && typeof v.value === "string") {
    const n = v.value === "" ? 0 : utf8Length(v.value);
    lens.push(n);
    return 1 + varintSize(n) + n;
  }
  return -2;
}

/** Adds a non-empty string field's size (pushing its UTF-8 length); 0 for an empty one, −2 for a non-string. */
function stringField(s: string, lens: number[]): number {
  if (typeof s !== "string") return -2;
  if (s === "") return 0;
  const n = utf8Length(s);
  lens.push(n);
  return 1 + varintSize(n) + n;
}

/**
 * Measures `req` for {@link writeGenerateRequest}, with `model` written as if empty when `omitModel` is set (the
 * MCP client carries it in the envelope); returns `undefined` when this encoder declines the request (see the
 * module comment): encode it with protobuf-es `toBinary` then.
 */
export function planGenerateRequest(req: GenerateRequest, omitModel = false): GenerateRequestPlan | undefined {
  if (hasUnknown(req)) return undefined;
  const lens: number[] = [];
  let size = 0;
  let n = 0;
  if (!omitModel) {
    n = stringField(req.model, lens);
    if (n < 0) return undefined;
    size += n;
  }
  for (const s of [req.prompt, req.suffix, req.system, req.template]) {
    n = stringField(s, lens);
    if (n < 0) return undefined;
    size += n;
  }
  const context = req.context;
  if (!Array.isArray(context)) return undefined;
  let contextSize = 0;
  for (let i = 0; i < context.length; i++) {
    const v = context[i];
    if (!isInt32(v)) return undefined;
    contextSize += int32Size(v);
  }
  if (context.length > 0) size += 1 + varintSize(contextSize) + contextSize;
  if (req.stream !== undefined) {
    if (typeof req.stream !== "boolean") return undefined;
    size += 2;
  }
  if (typeof req.raw !== "boolean") return undefined;
  if (req.raw) size += 2;
  n = stringField(req.format, lens);
  if (n < 0) return undefined;
  size += n;
  let keepAliveSize = -1;
  if (req.keepAlive !== undefined) {
    keepAliveSize = durationSize(req.keepAlive);
    if (keepAliveSize < 0) return undefined;
    size += 1 + varintSize(keepAliveSize) + keepAliveSize;
  }
  const images = req.images;
  if (!Array.isArray(images)) return undefined;
  for (const img of images) {
    if (!(img instanceof Uint8Array)) return undefined;
    size += 1 + varintSize(img.length) + img.length;
  }
  let optsSize = -1;
  if (req.options !== undefined) {
    optsSize = optionsSize(req.options, lens);
    if (optsSize < 0) return undefined;
    size += 1 + varintSize(optsSize) + optsSize;
  }
  let thSize = -1;
  if (req.think !== undefined) {
    thSize = thinkSize(req.think, lens);
    if (thSize < 0) return undefined;
    size += 1 + varintSize(thSize) + thSize;
  }
  return {
    size,
    req,
    omitModel,
    lens,
    contextSize,
    keepAliveSize,
    optionsSize: optsSize,
    thinkSize: thSize,
  };
}

/**
 * Writes a planned GenerateRequest at `o` in `b` (which must have `plan.size` bytes free there; every one of them is
 * written, so `b` may be uninitialized); returns the offset after it.
 */
export function writeGenerateRequest(b: Uint8Array, o: number, plan: GenerateRequestPlan): number {
  const { req, lens } = plan;
  let li = 0;
  const str = (tag: number, s: string) => {
    if (s === "") return;
    const n = lens[li++];
    b[o++] = tag;
    o = putUtf8(b, putVarint(b, o, n), s, n);
  };
  if (!plan.omitModel) str(0x0a, req.model);
  str(0x12, req.prompt);
  str(0x1a, req.suffix);
  str(0x22, req.system);
  str(0x2a, req.template);
  if (req.context.length > 0) {
    b[o++] = 0x32;
    o = putVarint(b, o, plan.contextSize);
    for (const v of req.context) o = putInt32(b, o, v);
  }
  if (req.stream !== undefined) {
    b[o++] = 0x38;
    b[o++] = req.stream ? 1 : 0;
  }
  if (req.raw) {
    b[o++] = 0x40;
    b[o++] = 1;
  }
  str(0x4a, req.format);
  const ka = req.keepAlive;
  if (ka !== undefined) {
    b[o++] = 0x52;
    o = putVarint(b, o, plan.keepAliveSize);
    if (ka.seconds !== 0n) {
      b[o++] = 0x08;
      o = putInt64(b, o, ka.seconds);
    }
    if (ka.nanos !== 0) {
      b[o++] = 0x10;
      o = putInt32(b, o, ka.nanos);
    }
  }
  for (const img of req.images) {
    b[o++] = 0x5a;
    o = putVarint(b, o, img.length);
    b.set(img, o);
    o += img.length;
  }
  if (req.options !== undefined) {
    b[o++] = 0x62;
    o = putVarint(b, o, plan.optionsSize);
    const stopCount = req.options.stop.length;
    o = writeOptions(b, o, req.options, lens, li);
    li += stopCount;
  }
  const think = req.think;
  if (think !== undefined) {
    b[o++] = 0x6a;
    o = putVarint(b, o, plan.thinkSize);
    const v = think.value;
    if (v.case === "enabled") {
      b[o++] = 0x08;
      b[o++] = v.value ? 1 : 0;
    } else if (v.case === "level") {
      // A oneof member is written even when empty.
      const n = lens[li++];
      b[o++] = 0x12;
      o = putUtf8(b, putVarint(b, o, n), v.value, n);
    }
  }
  return o;
}

/**
 * Encodes `req` into its own buffer, byte-identical to `toBinary(GenerateRequestSchema, req)` (with `model` left
 * out when `omitModel` is set); `undefined` when declined (see {@link planGenerateRequest}).
 */
export function encodeGenerateRequest(req: GenerateRequest, omitModel = false): Uint8Array | undefined {
  const plan = planGenerateRequest(req, omitModel);
  if (!plan) return undefined;
  const out = new Uint8Array(plan.size);
  writeGenerateRequest(out, 0, plan);
  return out;
}
