/**
 * The structural parts of the synthetic engine's JSON Schema support: local `$ref` resolution and the merge that
 * turns `allOf` (and a `$ref` with sibling keywords) into one schema whose every value satisfies all the parts.
 */

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON Schema: an object of keywords, or `true` / `false`. */
export type JsonSchema = boolean | SchemaObject;
/** A JSON Schema object. */
export type SchemaObject = { [keyword: string]: unknown };

/** A schema (or a request for one) the synthetic engine cannot satisfy; `path` locates it in the schema. */
export class Unsatisfiable extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** Keywords that only annotate: they never constrain a value. */
const ANNOTATIONS = new Set([
  "$schema",
  "$id",
  "$anchor",
  "$comment",
  "$defs",
  "definitions",
  "title",
  "description",
  "default",
  "examples",
  "deprecated",
  "readOnly",
  "writeOnly",
  "contentEncoding",
  "contentMediaType",
  "discriminator",
]);

/** Whether a schema object holds any keyword that constrains values. */
export function constrains(s: SchemaObject): boolean {
  return Object.keys(s).some((k) => !ANNOTATIONS.has(k));
}

/** Resolves a local `$ref` (`#`, `#/$defs/Name`, any JSON pointer into the root). */
export function resolveRef(root: JsonSchema, ref: unknown, path: string): JsonSchema {
  if (typeof ref !== "string") throw new Unsatisfiable('"$ref" must be a string', path);
  if (!ref.startsWith("#"))
    throw new Unsatisfiable(`only local references ("#/...") are supported, got "${clip(ref)}"`, path);
  let target: unknown = root;
  const pointer = decodeURIComponent(ref.slice(1));
  if (pointer !== "") {
    if (!pointer.startsWith("/")) throw new Unsatisfiable(`"$ref" "${clip(ref)}" is not a JSON pointer`, path);
    for (const raw of pointer.slice(1).split("/")) {
      const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      if (target === null || typeof target !== "object" || !Object.hasOwn(target, key)) {
        throw new Unsatisfiable(`"$ref" "${clip(ref)}" points at nothing`, path);
      }
      target = (target as Record<string, unknown>)[key];
    }
  }
  if (typeof target !== "boolean" && (target === null || typeof target !== "object" || Array.isArray(target))) {
    throw new Unsatisfiable(`"$ref" "${clip(ref)}" does not point at a schema`, path);
  }
  return target as JsonSchema;
}

const TYPES = new Set(["null", "boolean", "object", "array", "number", "integer", "string"]);

/** A schema's `type` as a list (undefined when absent); throws for a malformed one. */
export function typesOf(s: SchemaObject, path: string): string[] | undefined {
  const t = s.type;
  if (t === undefined) return undefined;
  const list = Array.isArray(t) ? t : [t];
  for (const x of list) {
    if (typeof x !== "string" || !TYPES.has(x)) throw new Unsatisfiable(`unknown type ${JSON.stringify(x)}`, path);
  }
  return list as string[];
}

const LOWER = ["minimum", "minLength", "minItems", "minProperties"];
const UPPER = ["maximum", "maxLength", "maxItems", "maxProperties"];

/**
 * Merges two schemas into one that admits only values both admit (the keywords this engine supports; two
 * different `pattern`, `format` or `multipleOf` values are refused as unsupported rather than approximated).
 */
export function mergeSchemas(a: JsonSchema, b: JsonSchema, path: string): JsonSchema {
  if (a === false || b === false) return false;
  if (a === true) return b;
  if (b === true) return a;
  const out: SchemaObject = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (!(k in out) || ANNOTATIONS.has(k)) {
      if (!(k in out)) out[k] = v;
      continue;
    }
    const x = out[k];
    if (k === "type") out.type = intersectTypes(typesOf(a, path)!, typesOf(b, path)!, path);
    else if (k === "required") out.required = [...new Set([...(x as string[]), ...(v as string[])])];
    else if (LOWER.includes(k)) out[k] = Math.max(x as number, v as number);
    else if (UPPER.includes(k)) out[k] = Math.min(x as number, v as number);
    else if (k === "exclusiveMinimum" && typeof x === "number" && typeof v === "number") out[k] = Math.max(x, v);
    else if (k === "exclusiveMaximum" && typeof x === "number" && typeof v === "number") out[k] = Math.min(x, v);
    else if (k === "properties") out.properties = mergeProperties(x, v, path);
    else if (k === "items" || k === "additionalProperties" || k === "additionalItems") {
      out[k] = Array.isArray(x) || Array.isArray(v) ? refuse(k, path) : { allOf: [x, v] };
    } else if (k === "allOf") out.allOf = [...(x as unknown[]), ...(v as unknown[])];
    else if (k === "anyOf" || k === "oneOf") out.allOf = [...((out.allOf as unknown[]) ?? []), { [k]: v }];
    else if (k === "enum") {
      const keep = (x as unknown[]).filter((e) => (v as unknown[]).some((f) => sameJson(e, f)));
      if (keep.length === 0) throw new Unsatisfiable("allOf: the enums have no value in common", path);
      out.enum = keep;
    } else if (k === "uniqueItems") out.uniqueItems = x === true || v === true;
    else if (!sameJson(x, v)) {
      if (k === "const") throw new Unsatisfiable("allOf: two different const values", path);
      refuse(k, path);
    }
  }
  return out;
}

function refuse(keyword: string, path: string): never {
  throw new Unsatisfiable(`allOf with two different "${keyword}" values is not supported`, path);
}

function mergeProperties(x: unknown, v: unknown, path: string): SchemaObject {
  const out: SchemaObject = { ...(x as SchemaObject) };
  for (const [name, s] of Object.entries(v as SchemaObject)) {
    out[name] = name in out ? { allOf: [out[name], s] } : s;
  }
  void path;
  return out;
}

function intersectTypes(a: string[], b: string[], path: string): string[] {
  const out: string[] = [];
  for (const t of a) {
    if (b.includes(t)) out.push(t);
    else if (t === "integer" && b.includes("number")) out.push("integer");
    else if (t === "number" && b.includes("integer")) out.push("integer");
  }
  if (out.length === 0)
    throw new Unsatisfiable(`allOf: types ${a.join("|")} and ${b.join("|")} exclude each other`, path);
  return [...new Set(out)];
}

/** Deep equality of JSON values (object key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameJson(x, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  return (
    ka.length === kb.length &&
    ka.every((k) => Object.hasOwn(b as object, k) && sameJson((a as never)[k], (b as never)[k]))
  );
}

/** A string clipped for an error message. */
export function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
