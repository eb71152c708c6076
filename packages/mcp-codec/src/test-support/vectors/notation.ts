/** How a vector writes bytes and errors down: lower-case hex, raw headers, frames and coded errors as JSON. */
import { codeName } from "@modelwire/core";
import { type FrameInit, FrameType, type ProtocolErrorReason, reasonCode } from "../../index.js";

/** `b` as lower-case hex, two digits a byte. */
export const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** One frame of a vector as JSON: its header fields, payload hex and the meaning written by hand. */
export function frameJson(f: FrameInit, decoded: unknown) {
  return {
    type: FrameType[f.type].toUpperCase(),
    typeValue: f.type,
    flags: f.flags ?? 0,
    dataType: f.dataType ?? 0,
    streamId: f.streamId,
    sequence: f.sequence ?? 0,
    payloadHex: hex(f.payload ?? new Uint8Array(0)),
    decoded,
  };
}

/** A raw 20-byte header with the given fields (no validation), followed by `payload`. */
export function raw(
  fields: {
    magic?: number;
    version?: number;
    type: number;
    flags?: number;
    dataType?: number;
    reserved?: number;
    streamId?: number;
    sequence?: number;
    length?: number;
  },
  payload: Uint8Array = new Uint8Array(0),
) {
  const b = new Uint8Array(20 + payload.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, fields.magic ?? 0x4d43);
  v.setUint8(2, fields.version ?? 1);
  v.setUint8(3, fields.type);
  v.setUint8(4, fields.flags ?? 0);
  v.setUint8(5, fields.dataType ?? 0);
  v.setUint16(6, fields.reserved ?? 0);
  v.setUint32(8, fields.streamId ?? 0);
  v.setUint32(12, fields.sequence ?? 0);
  v.setUint32(16, fields.length ?? payload.length);
  b.set(payload, 20);
  return hex(b);
}

/** A protocol error reason as a vector states it: reason, the `Code` it maps to and that code's name. */
export const err = (reason: ProtocolErrorReason) => ({
  reason,
  code: reasonCode(reason),
  codeName: codeName(reasonCode(reason)),
});
