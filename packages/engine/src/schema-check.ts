import { type JsonSchema, resolveRef, type SchemaObject, sameJson, typesOf } from "./schema-merge.js";

/**
 * Whether a value satisfies a schema, for the keywords the synthetic engine generates from. Used only to choose
 * among candidates (an `enum` value that also meets the other keywords, a `oneOf` branch no other branch admits);
 * the documents themselves are valid by construction and checked against a full validator (ajv) in the tests.
 * Keywords outside that set are treated as satisfied.
 */
export function conforms(value: unknown, schema: JsonSchema, root: JsonSchema, depth = 0): boolean {
  if (schema === true) return true;
  if (schema === false || depth > 64) return false;
  const s = schema as SchemaObject;
  const sub = (v: unknown, x: unknown) => conforms(v, x as JsonSchema, root, depth + 1);
  if (s.$ref !== undefined && !sub(value, resolveRef(root, s.$ref, "#"))) return false;
  const types = typesOf(s, "#");
  if (types && !types.some((t) => hasType(value, t))) return false;
  if (Array.isArray(s.enum) && !s.enum.some((e) => sameJson(e, value))) return false;
  if ("const" in s && !sameJson(s.const, value)) return false;
  if (Array.isArray(s.allOf) && !s.allOf.every((x) => sub(value, x))) return false;
  if (Array.isArray(s.anyOf) && !s.anyOf.some((x) => sub(value, x))) return false;
  if (Array.isArray(s.oneOf) && s.oneOf.filter((x) => sub(value, x)).length !== 1) return false;
  if (typeof value === "number") return numberOk(value, s);
  if (typeof value === "string") return stringOk(value, s);
  if (Array.isArray(value)) return arrayOk(value, s, sub);
  if (value !== null && typeof value === "object") return objectOk(value as Record<string, unknown>, s, sub);
  return true;
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case "null":
      return v === null;
    case "boolean":
      return typeof v === "boolean";
    case "number":
      return typeof v === "number";
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "string":
      return typeof v === "string";
    case "array":
      return Array.isArray(v);
    default:
      return v !== null && typeof v === "object" && !Array.isArray(v);
  }
}

function numberOk(v: number, s: SchemaObject): boolean {
  if (typeof s.minimum === "number" && (v < s.minimum || (s.exclusiveMinimum === true && v === s.minimum)))
    return false;
  if (typeof s.maximum === "number" && (v > s.maximum || (s.exclusiveMaximum === true && v === s.maximum)))
    return false;
  if (typeof s.exclusiveMinimum === "number" && v <= s.exclusiveMinimum) return false;
  if (typeof s.exclusiveMaximum === "number" && v >= s.exclusiveMaximum) return false;
  if (typeof s.multipleOf === "number" && !isMultiple(v, s.multipleOf)) return false;
  return true;
}

/** `multipleOf` as ajv tests it by default: the quotient has no fraction. */
export function isMultiple(v: number, m: number): boolean {
  return (v / m) % 1 === 0;
}

/** A string's length in code points, as JSON Schema counts it. */
export function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else {
      const d = s.charCodeAt(i + 1);
      n++;
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

function stringOk(v: string, s: SchemaObject): boolean {
  const n = codePoints(v);
  if (typeof s.minLength === "number" && n < s.minLength) return false;
  if (typeof s.maxLength === "number" && n > s.maxLength) return false;
  if (typeof s.pattern === "string") {
    try {
      if (!new RegExp(s.pattern, "u").test(v)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function arrayOk(v: unknown[], s: SchemaObject, sub: (v: unknown, x: unknown) => boolean): boolean {
  if (typeof s.minItems === "number" && v.length < s.minItems) return false;
  if (typeof s.maxItems === "number" && v.length > s.maxItems) return false;
  const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : [];
  const rest = Array.isArray(s.prefixItems) ? s.items : Array.isArray(s.items) ? s.additionalItems : s.items;
  for (let i = 0; i < v.length; i++) {
    const x = i < prefix.length ? prefix[i] : rest;
    if (x !== undefined && !sub(v[i], x)) return false;
  }
  if (s.uniqueItems === true) {
    for (let i = 0; i < v.length; i++) for (let j = i + 1; j < v.length; j++) if (sameJson(v[i], v[j])) return false;
  }
  return true;
}

function objectOk(v: Record<string, unknown>, s: SchemaObject, sub: (v: unknown, x: unknown) => boolean): boolean {
  const keys = Object.keys(v);
  if (typeof s.minProperties === "number" && keys.length < s.minProperties) return false;
  if (typeof s.maxProperties === "number" && keys.length > s.maxProperties) return false;
  if (Array.isArray(s.required) && !s.required.every((k) => Object.hasOwn(v, k as string))) return false;
  const props = (s.properties ?? {}) as SchemaObject;
  for (const k of keys) {
    const x = Object.hasOwn(props, k) ? props[k] : s.additionalProperties;
    if (x !== undefined && !sub(v[k], x)) return false;
  }
  return true;
}
