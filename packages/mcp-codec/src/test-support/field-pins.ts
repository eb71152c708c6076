/**
 * Field pins for the drift test (drift.test.ts): a message's fields as read from its generated protobuf-es
 * descriptor, one line per field — number, proto name and kind — so a field added to, removed from or changed in
 * `proto/` shows up as a line that differs from what a hand-written codec was written against.
 */
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";

const scalarName = (t: ScalarType): string => ScalarType[t].toLowerCase();

/** The kind of a field as a pin writes it: `string`, `optional int32`, `repeated int32 packed`, `map<string, string>`, `google.protobuf.Timestamp`, `bool oneof value`. */
export function fieldKind(f: DescField): string {
  switch (f.fieldKind) {
    case "scalar": {
      const base = scalarName(f.scalar);
      if (f.oneof) return `${base} oneof ${f.oneof.name}`;
      // proto3 `optional` (explicit presence outside a oneof).
      return f.presence === 1 ? `optional ${base}` : base;
    }
    case "enum":
      return `${f.oneof ? "" : f.presence === 1 ? "optional " : ""}enum ${f.enum.typeName}${f.oneof ? ` oneof ${f.oneof.name}` : ""}`;
    case "message":
      return f.oneof ? `${f.message.typeName} oneof ${f.oneof.name}` : f.message.typeName;
    case "list": {
      const el =
        f.listKind === "scalar" ? scalarName(f.scalar) : f.listKind === "enum" ? f.enum.typeName : f.message.typeName;
      return `repeated ${el}${f.packed ? " packed" : ""}`;
    }
    case "map": {
      const v =
        f.mapKind === "scalar" ? scalarName(f.scalar) : f.mapKind === "enum" ? f.enum.typeName : f.message.typeName;
      return `map<${scalarName(f.mapKey)}, ${v}>`;
    }
  }
}

/** One pin line: `<number> <proto name> <kind>`, e.g. `7 stream optional bool`. */
export function pinOf(f: DescField): string {
  return `${f.number} ${f.name} ${fieldKind(f)}`;
}

/** Every field of `desc` as pin lines, in field-number order. */
export function pinsOf(desc: DescMessage): string[] {
  return [...desc.fields].sort((a, b) => a.number - b.number).map(pinOf);
}

/** The message types of `desc`'s fields whose pins (the codec reads into them) are among `handled`. */
export function nestedOf(desc: DescMessage, handled: readonly string[]): DescMessage[] {
  const out: DescMessage[] = [];
  for (const f of desc.fields) {
    if (!handled.includes(pinOf(f))) continue;
    if (f.fieldKind === "message") out.push(f.message);
    else if ((f.fieldKind === "list" || f.fieldKind === "map") && f.message) out.push(f.message);
  }
  return out;
}

/** What a hand-written codec does with each field of one message. */
export interface MessagePin {
  /** Fields the codec reads or writes itself. */
  readonly handled: readonly string[];
  /** Fields the codec declines (the message then goes through protobuf-es), e.g. a chunk with `context`. */
  readonly declined?: readonly string[];
}

/**
 * The differences between a message's schema and a codec's pin, as readable lines (empty when they agree): fields
 * the schema has that the pin does not (added or changed in proto/), and pinned fields the schema no longer has.
 */
export function pinDiff(desc: DescMessage, pin: MessagePin): string[] {
  const actual = pinsOf(desc);
  const pinned = [...pin.handled, ...(pin.declined ?? [])];
  const out: string[] = [];
  for (const a of actual) if (!pinned.includes(a)) out.push(`  in the schema, not in the codec's list: ${a}`);
  for (const p of pinned) if (!actual.includes(p)) out.push(`  in the codec's list, not in the schema: ${p}`);
  return out;
}
