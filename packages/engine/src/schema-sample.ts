import { invalidArgument } from "@modelwire/core";
import type { Prng } from "./prng.js";
import { codePoints, conforms, isMultiple } from "./schema-check.js";
import { formatted } from "./schema-formats.js";
import {
  clip,
  constrains,
  type JsonSchema,
  type JsonValue,
  mergeSchemas,
  resolveRef,
  type SchemaObject,
  sameJson,
  typesOf,
  Unsatisfiable,
} from "./schema-merge.js";
import { VOCABULARY } from "./vocabulary.js";

export type { JsonSchema, JsonValue } from "./schema-merge.js";

/** Deepest nesting of values (and `$ref` hops) a schema may ask for. */
export const MAX_SCHEMA_DEPTH = 32;
/** Most values one document may hold. */
export const MAX_SCHEMA_VALUES = 10_000;
/** Beyond this depth optional properties are left out and arrays kept to `minItems` (so recursion ends). */
const SHALLOW_FROM = 8;

/** Keywords that constrain values in ways this engine does not generate for: refused, never ignored. */
const UNSUPPORTED = [
  "not",
  "if",
  "then",
  "else",
  "patternProperties",
  "propertyNames",
  "dependentRequired",
  "dependentSchemas",
  "dependencies",
  "contains",
  "minContains",
  "maxContains",
  "unevaluatedProperties",
  "unevaluatedItems",
  "$dynamicRef",
  "$recursiveRef",
];

/**
 * Builds a deterministic JSON document that validates against `schema`: objects (every declared property,
 * required ones always), arrays, `required`, `enum`, `const`, strings (lengths, `pattern` among candidate words, the
 * common `format`s), numbers and integers (bounds, `multipleOf`), booleans, null, `anyOf` / `oneOf` / `allOf`,
 * local `$ref`. A schema that admits no value, or uses a keyword listed in {@link UNSUPPORTED}, throws
 * `InvalidArgument` naming `format` with what failed and where (a JSON pointer into the schema).
 */
export function sampleSchema(schema: JsonSchema, prng: Prng): JsonValue {
  const g = new Sampler(schema, prng);
  try {
    return g.value(schema, "#", 0);
  } catch (e) {
    if (e instanceof Unsatisfiable) {
      throw invalidArgument("format", `format: the schema cannot be satisfied: ${e.message} (at ${e.path})`);
    }
    throw e;
  }
}

class Sampler {
  private values = 0;
  constructor(
    private readonly root: JsonSchema,
    private readonly prng: Prng,
  ) {}

  value(schema: JsonSchema, path: string, depth: number): JsonValue {
    if (depth > MAX_SCHEMA_DEPTH) {
      throw new Unsatisfiable(`the schema nests deeper than ${MAX_SCHEMA_DEPTH} levels (a required recursion?)`, path);
    }
    if (++this.values > MAX_SCHEMA_VALUES) {
      throw new Unsatisfiable(`the document would hold more than ${MAX_SCHEMA_VALUES} values`, path);
    }
    if (schema === true) return this.words(1 + this.prng.int(3));
    if (schema === false) throw new Unsatisfiable("the schema false admits no value", path);
    if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
      throw new Unsatisfiable("a schema must be an object or a boolean", path);
    }
    const s: SchemaObject = schema;
    for (const k of UNSUPPORTED) {
      if (k in s) throw new Unsatisfiable(`the keyword "${k}" is not supported by the synthetic engine`, path);
    }
    if (s.$ref !== undefined) {
      const { $ref, ...rest } = s;
      const target = resolveRef(this.root, $ref, path);
      const merged = constrains(rest) ? mergeSchemas(target, rest, path) : target;
      return this.value(merged, `${path}/$ref`, depth + 1);
    }
    if (s.allOf !== undefined) {
      const { allOf, ...rest } = s;
      if (!Array.isArray(allOf)) throw new Unsatisfiable('"allOf" must be an array', path);
      let merged: JsonSchema = rest;
      for (const [i, part] of allOf.entries())
        merged = mergeSchemas(merged, this.deref(part, `${path}/allOf/${i}`), path);
      return this.value(merged, path, depth + 1);
    }
    for (const k of ["anyOf", "oneOf"] as const) {
      if (s[k] !== undefined) return this.branch(s, k, path, depth);
    }
    if ("const" in s) {
      const v = s.const as JsonValue;
      if (!conforms(v, withoutKey(s, "const"), this.root)) throw new Unsatisfiable('"const" breaks the schema', path);
      return v;
    }
    if (s.enum !== undefined) {
      if (!Array.isArray(s.enum) || s.enum.length === 0)
        throw new Unsatisfiable('"enum" must be a non-empty array', path);
      const rest = withoutKey(s, "enum");
      const ok = (s.enum as JsonValue[]).filter((v) => conforms(v, rest, this.root));
      if (ok.length === 0) throw new Unsatisfiable("no value of the enum satisfies the rest of the schema", path);
      return ok[this.prng.int(ok.length)];
    }
    const types = typesOf(s, path) ?? [inferType(s)];
    let last: Unsatisfiable | undefined;
    for (const t of types) {
      try {
        return this.typed(t, s, path, depth);
      } catch (e) {
        if (!(e instanceof Unsatisfiable)) throw e;
        last = e;
      }
    }
    throw last ?? new Unsatisfiable('"type" is an empty list', path);
  }

  /** A `$ref` resolved, so `allOf` parts merge their targets' keywords. */
  private deref(part: unknown, path: string): JsonSchema {
    let s = part as JsonSchema;
    for (let hops = 0; typeof s === "object" && s !== null && s.$ref !== undefined; hops++) {
      if (hops > MAX_SCHEMA_DEPTH) throw new Unsatisfiable('"$ref" chain too long', path);
      const { $ref, ...rest } = s;
      const target = resolveRef(this.root, $ref, path);
      s = constrains(rest) ? mergeSchemas(target, rest, path) : target;
    }
    return s;
  }

  private branch(s: SchemaObject, k: "anyOf" | "oneOf", path: string, depth: number): JsonValue {
    const branches = s[k];
    if (!Array.isArray(branches) || branches.length === 0)
      throw new Unsatisfiable(`"${k}" must be a non-empty array`, path);
    const rest = withoutKey(s, k);
    const start = this.prng.int(branches.length);
    let last: Unsatisfiable | undefined;
    for (let n = 0; n < branches.length; n++) {
      const i = (start + n) % branches.length;
      try {
        const merged = mergeSchemas(rest, this.deref(branches[i], `${path}/${k}/${i}`), path);
        const v = this.value(merged, `${path}/${k}/${i}`, depth + 1);
        if (k === "oneOf" && branches.some((b, j) => j !== i && conforms(v, b as JsonSchema, this.root))) {
          throw new Unsatisfiable(`a value of oneOf branch ${i} also matches another branch`, path);
        }
        return v;
      } catch (e) {
        if (!(e instanceof Unsatisfiable)) throw e;
        last = e;
      }
    }
    throw new Unsatisfiable(`no branch of "${k}" can be satisfied (last: ${last?.message})`, path);
  }

  private typed(t: string, s: SchemaObject, path: string, depth: number): JsonValue {
    switch (t) {
      case "null":
        return null;
      case "boolean":
        return this.prng.int(2) === 1;
      case "integer":
      case "number":
        return this.number(s, t === "integer", path);
      case "string":
        return this.string(s, path);
      case "array":
        return this.array(s, path, depth);
      default:
        return this.object(s, path, depth);
    }
  }

  private number(s: SchemaObject, integer: boolean, path: string): number {
    let lo = Number.NEGATIVE_INFINITY;
    let hi = Number.POSITIVE_INFINITY;
    let loEx = false;
    let hiEx = false;
    const num = (k: string) => {
      const v = s[k];
      if (v !== undefined && typeof v !== "number" && typeof v !== "boolean") {
        throw new Unsatisfiable(`"${k}" must be a number`, path);
      }
      return v as number | boolean | undefined;
    };
    const min = num("minimum");
    const max = num("maximum");
    const exMin = num("exclusiveMinimum");
    const exMax = num("exclusiveMaximum");
    if (typeof min === "number") [lo, loEx] = [min, exMin === true];
    if (typeof max === "number") [hi, hiEx] = [max, exMax === true];
    if (typeof exMin === "number" && exMin >= lo) [lo, loEx] = [exMin, true];
    if (typeof exMax === "number" && exMax <= hi) [hi, hiEx] = [exMax, true];
    const m = s.multipleOf;
    if (m !== undefined && (typeof m !== "number" || !(m > 0)))
      throw new Unsatisfiable('"multipleOf" must be > 0', path);
    const inRange = (v: number) => (loEx ? v > lo : v >= lo) && (hiEx ? v < hi : v <= hi);
    if (lo > hi || (lo === hi && (loEx || hiEx))) {
      throw new Unsatisfiable(`no number between the bounds ${lo} and ${hi}`, path);
    }
    // A window of at most 100 units inside the bounds, where the value is picked.
    const from = Number.isFinite(lo) ? lo : Number.isFinite(hi) ? Math.min(0, hi - 100) : 0;
    const to = Number.isFinite(hi) ? Math.min(hi, from + 100) : from + 100;
    const step = typeof m === "number" ? (integer && !Number.isInteger(m) ? lcmWithOne(m) : m) : integer ? 1 : 0;
    if (integer && step === 0) throw new Unsatisfiable(`no integer is a multiple of ${m}`, path);
    if (step > 0) {
      const kLo = Math.ceil(from / step);
      const kHi = Math.floor(to / step);
      const span = kHi - kLo + 1;
      if (span >= 1) {
        const first = this.prng.int(Math.min(span, 1_000_000));
        for (let n = 0; n < Math.min(span, 64); n++) {
          const v = ((first + n) % span) * step + kLo * step;
          const x = integer ? Math.round(v) : v;
          if (inRange(x) && (m === undefined || isMultiple(x, m as number)) && (!integer || Number.isInteger(x)))
            return x;
        }
      }
      throw new Unsatisfiable(
        `no ${integer ? "integer" : "number"}${m !== undefined ? ` multiple of ${m}` : ""} between the bounds`,
        path,
      );
    }
    const v = Math.round((from + this.prng.next() * (to - from)) * 100) / 100;
    if (inRange(v)) return v;
    const mid = (from + to) / 2;
    if (inRange(mid)) return mid;
    throw new Unsatisfiable(`no number between the bounds ${lo} and ${hi}`, path);
  }

  private string(s: SchemaObject, path: string): string {
    const minLength = count(s, "minLength", path) ?? 0;
    const maxLength = count(s, "maxLength", path);
    if (maxLength !== undefined && minLength > maxLength) {
      throw new Unsatisfiable(`minLength ${minLength} exceeds maxLength ${maxLength}`, path);
    }
    const fits = (v: string) => {
      const n = codePoints(v);
      return n >= minLength && (maxLength === undefined || n <= maxLength);
    };
    const format = typeof s.format === "string" ? formatted(s.format, this.prng) : undefined;
    if (format !== undefined) {
      if (!fits(format) || !patternOk(s, format, path)) {
        throw new Unsatisfiable(`a "${s.format}" string does not fit the other constraints`, path);
      }
      return format;
    }
    const base = this.fitLength(this.words(1 + this.prng.int(4)), minLength, maxLength);
    if (s.pattern === undefined) return base;
    const start = this.prng.int(VOCABULARY.length);
    const rotated = VOCABULARY.map((_, i) => VOCABULARY[(start + i) % VOCABULARY.length]);
    const candidates = [
      base,
      ...rotated,
      ...rotated.map((w) => w.toUpperCase()),
      "0",
      "1",
      "42",
      "2026",
      "a",
      "A",
      "x1",
    ];
    for (const c of candidates) {
      if (fits(c) && patternOk(s, c, path)) return c;
    }
    throw new Unsatisfiable(`cannot produce a string matching the pattern "${clip(String(s.pattern))}"`, path);
  }

  private fitLength(text: string, minLength: number, maxLength: number | undefined): string {
    let out = text;
    while (codePoints(out) < minLength) out += ` ${this.words(1)}`;
    if (maxLength !== undefined && codePoints(out) > maxLength) {
      out = Array.from(out).slice(0, maxLength).join("");
      const trimmed = out.trimEnd();
      if (codePoints(trimmed) >= minLength) out = trimmed;
    }
    return out;
  }

  private array(s: SchemaObject, path: string, depth: number): JsonValue[] {
    const minItems = count(s, "minItems", path) ?? 0;
    const maxItems = count(s, "maxItems", path);
    if (maxItems !== undefined && minItems > maxItems) {
      throw new Unsatisfiable(`minItems ${minItems} exceeds maxItems ${maxItems}`, path);
    }
    const prefix = (
      Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : []
    ) as JsonSchema[];
    const rest = (Array.isArray(s.prefixItems) ? s.items : Array.isArray(s.items) ? s.additionalItems : s.items) as
      | JsonSchema
      | undefined;
    const wanted = depth >= SHALLOW_FROM ? minItems : Math.max(minItems, prefix.length, 1 + this.prng.int(3));
    let n = Math.min(wanted, maxItems ?? Number.POSITIVE_INFINITY);
    if (rest === false) n = Math.min(n, prefix.length);
    if (n < minItems) throw new Unsatisfiable(`minItems ${minItems} needs more items than the schema allows`, path);
    const out: JsonValue[] = [];
    for (let i = 0; i < n; i++) {
      const item = i < prefix.length ? prefix[i] : (rest ?? true);
      const at = i < prefix.length ? `${path}/prefixItems/${i}` : `${path}/items`;
      let v = this.value(item, at, depth + 1);
      for (let tries = 0; s.uniqueItems === true && out.some((x) => sameJson(x, v)); tries++) {
        if (tries >= 20) {
          if (out.length >= minItems) return out;
          throw new Unsatisfiable(`cannot find ${minItems} distinct items (uniqueItems)`, path);
        }
        v = this.value(item, at, depth + 1);
      }
      out.push(v);
    }
    return out;
  }

  private object(s: SchemaObject, path: string, depth: number): { [key: string]: JsonValue } {
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    if (typeof props !== "object" || Array.isArray(props))
      throw new Unsatisfiable('"properties" must be an object', path);
    const required = (s.required ?? []) as string[];
    if (!Array.isArray(required) || required.some((k) => typeof k !== "string")) {
      throw new Unsatisfiable('"required" must be an array of strings', path);
    }
    const minProperties = count(s, "minProperties", path) ?? 0;
    const maxProperties = count(s, "maxProperties", path);
    const extra = s.additionalProperties as JsonSchema | undefined;
    const keysNeeded = new Set(required).size;
    if (maxProperties !== undefined && (keysNeeded > maxProperties || minProperties > maxProperties)) {
      throw new Unsatisfiable("maxProperties is below the properties the schema requires", path);
    }
    const out: { [key: string]: JsonValue } = {};
    const schemaOf = (k: string) => (Object.hasOwn(props, k) ? props[k] : (extra ?? true));
    for (const k of required) {
      if (Object.hasOwn(out, k)) continue;
      if (!Object.hasOwn(props, k) && extra === false) {
        throw new Unsatisfiable(`required property "${clip(k)}" is forbidden by additionalProperties: false`, path);
      }
      out[k] = this.value(schemaOf(k), `${path}/properties/${pointerKey(k)}`, depth + 1);
    }
    const room = () => maxProperties === undefined || Object.keys(out).length < maxProperties;
    for (const k of Object.keys(props)) {
      if (Object.hasOwn(out, k) || !room()) continue;
      if (depth >= SHALLOW_FROM && Object.keys(out).length >= minProperties) break;
      try {
        out[k] = this.value(props[k], `${path}/properties/${pointerKey(k)}`, depth + 1);
      } catch (e) {
        if (!(e instanceof Unsatisfiable) || e.message.includes("more than")) throw e;
        // An optional property that cannot be satisfied is left out.
      }
    }
    for (let i = 1; Object.keys(out).length < minProperties; i++) {
      if (extra === false) throw new Unsatisfiable("minProperties needs more properties than the schema allows", path);
      const k = `extra_${i}`;
      if (!Object.hasOwn(out, k)) out[k] = this.value(extra ?? true, `${path}/additionalProperties`, depth + 1);
    }
    return out;
  }

  private words(n: number): string {
    return Array.from({ length: n }, () => VOCABULARY[this.prng.int(VOCABULARY.length)]).join(" ");
  }
}

function inferType(s: SchemaObject): string {
  const has = (...ks: string[]) => ks.some((k) => k in s);
  if (has("properties", "required", "additionalProperties", "minProperties", "maxProperties")) return "object";
  if (has("items", "prefixItems", "minItems", "maxItems", "uniqueItems", "additionalItems")) return "array";
  if (has("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")) return "number";
  return "string";
}

function count(s: SchemaObject, k: string, path: string): number | undefined {
  const v = s[k];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
    throw new Unsatisfiable(`"${k}" must be a non-negative integer`, path);
  }
  return v;
}

function patternOk(s: SchemaObject, v: string, path: string): boolean {
  if (s.pattern === undefined) return true;
  if (typeof s.pattern !== "string") throw new Unsatisfiable('"pattern" must be a string', path);
  let re: RegExp;
  try {
    re = new RegExp(s.pattern, "u");
  } catch {
    throw new Unsatisfiable(`"pattern" "${clip(s.pattern)}" is not a valid regular expression`, path);
  }
  return re.test(v);
}

/** The smallest integer multiple of a fractional `multipleOf` (for integers), or 0 when there is none nearby. */
function lcmWithOne(m: number): number {
  for (let k = 1; k <= 1000; k++) if (Number.isInteger(m * k) && isMultiple(m * k, m)) return m * k;
  return 0;
}

function withoutKey(s: SchemaObject, k: string): SchemaObject {
  const { [k]: _drop, ...rest } = s;
  return rest;
}

function pointerKey(k: string): string {
  return k.replace(/~/g, "~0").replace(/\//g, "~1");
}
