import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ErrorObject } from "ajv";
import ts from "typescript";

/**
 * A strict JSON Schema for Kubernetes objects, derived from kubernetes-models' TypeScript interfaces (generated
 * from the Kubernetes API's OpenAPI definitions): every object type becomes a definition with exactly its fields
 * (`additionalProperties: false`), its required fields, and its value types, so a misspelt or unknown field fails.
 * The API's own OpenAPI schemas (and kubernetes-models' validators compiled from them) allow unknown fields, as the
 * API server only prunes them; kubeconform's `-strict` does what this does, from schemas it downloads.
 */

/** A kind to check: its apiVersion/kind and the kubernetes-models module and interface that describe it. */
export interface StrictKind {
  apiVersion: string;
  kind: string;
  /** E.g. `kubernetes-models/apps/v1`. */
  module: string;
  /** E.g. `IDeployment`. */
  type: string;
}

type Schema = Record<string, unknown>;

/** One schema failure, with the object's path in it. */
export interface StrictProblem {
  path: string;
  message: string;
}

/** Checks objects of the kinds it was made for; `check` returns the problems (empty = valid). */
export interface StrictValidator {
  readonly schemas: StrictSchemas;
  check(o: unknown): StrictProblem[];
}

// A file that exists only in memory, beside this module so that kubernetes-models resolves as it does from here.
const VIRTUAL = join(dirname(fileURLToPath(import.meta.url)), "__k8s-kinds.virtual.ts");

function program(kinds: readonly StrictKind[]): { checker: ts.TypeChecker; file: ts.SourceFile } {
  const source = [
    ...kinds.map((k, i) => `import type { ${k.type} as K${i} } from ${JSON.stringify(k.module)};`),
    `export interface Kinds { ${kinds.map((k, i) => `${JSON.stringify(`${k.apiVersion}/${k.kind}`)}: K${i};`).join(" ")} }`,
  ].join("\n");
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ["lib.es5.d.ts"],
  };
  const host = ts.createCompilerHost(options);
  const file = ts.createSourceFile(VIRTUAL, source, ts.ScriptTarget.ES2022, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) =>
    name === VIRTUAL ? file : getSourceFile(name, lang, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === VIRTUAL || fileExists(name);
  const p = ts.createProgram({ rootNames: [VIRTUAL], options, host });
  const missing = ts
    .getPreEmitDiagnostics(p, file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))
    .filter((m) => m.length > 0);
  if (missing.length > 0) throw new Error(`kubernetes-models types not found: ${missing.join("; ")}`);
  return { checker: p.getTypeChecker(), file };
}

/** Strict JSON Schemas (draft-07) for some kinds: one definition per interface, shared by the kinds' schemas. */
export interface StrictSchemas {
  definitions: Record<string, Schema>;
  /** By `apiVersion/kind`: a `$ref` into `definitions`. */
  kinds: Record<string, Schema>;
}

/** Derives the strict schemas for `kinds`. */
export function strictKubernetesSchema(kinds: readonly StrictKind[]): StrictSchemas {
  const { checker, file } = program(kinds);
  const definitions: Record<string, Schema> = {};
  const names = new Map<ts.Type, string>();

  const literalEnum = (types: readonly ts.Type[]): Schema | undefined =>
    types.every((t) => t.isStringLiteral() || t.isNumberLiteral())
      ? { enum: types.map((t) => (t as ts.LiteralType).value) }
      : undefined;

  const toSchema = (type: ts.Type): Schema => {
    const parts = (type.isUnion() ? type.types : [type]).filter(
      (t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)),
    );
    const bools = parts.filter((t) => t.flags & ts.TypeFlags.BooleanLiteral);
    const rest = parts.filter((t) => !(t.flags & ts.TypeFlags.BooleanLiteral));
    if (bools.length > 0 && rest.length === 0) return { type: "boolean" };
    if (rest.length > 1) return literalEnum(rest) ?? { anyOf: rest.map(toSchema) };
    const t = rest[0];
    if (!t || t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
    if (t.flags & ts.TypeFlags.StringLike) return t.isStringLiteral() ? { const: t.value } : { type: "string" };
    if (t.flags & ts.TypeFlags.NumberLike) return { type: "number" };
    if (t.flags & ts.TypeFlags.BooleanLike) return { type: "boolean" };
    if (checker.isArrayType(t)) {
      const [item] = checker.getTypeArguments(t as ts.TypeReference);
      return { type: "array", items: toSchema(item) };
    }
    return objectSchema(t);
  };

  const objectSchema = (t: ts.Type): Schema => {
    const props = checker.getPropertiesOfType(t);
    const index = checker.getIndexTypeOfType(t, ts.IndexKind.String);
    if (props.length === 0) return { type: "object", ...(index ? { additionalProperties: toSchema(index) } : {}) };
    const known = names.get(t);
    if (known) return { $ref: `#/definitions/${known}` };
    const base = t.aliasSymbol?.name ?? t.getSymbol()?.name ?? "Object";
    let name = base;
    for (let i = 2; name in definitions; i++) name = `${base}${i}`;
    names.set(t, name);
    const def: Schema = { title: name, type: "object" };
    definitions[name] = def;
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const p of props) {
      properties[p.name] = toSchema(checker.getTypeOfSymbol(p));
      if (!(p.flags & ts.SymbolFlags.Optional)) required.push(p.name);
    }
    Object.assign(def, {
      properties,
      ...(required.length > 0 ? { required } : {}),
      additionalProperties: index ? toSchema(index) : false,
    });
    return { $ref: `#/definitions/${name}` };
  };

  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!);
  const kindsType = checker.getDeclaredTypeOfSymbol(exported.find((s) => s.name === "Kinds")!);
  const byKind: Record<string, Schema> = {};
  for (const p of checker.getPropertiesOfType(kindsType)) byKind[p.name] = toSchema(checker.getTypeOfSymbol(p));
  return { definitions, kinds: byKind };
}

function describe(e: ErrorObject): StrictProblem {
  const path = e.instancePath.replace(/^\//, "").replace(/\//g, ".") || "(object)";
  if (e.keyword === "additionalProperties") {
    const def = (e.parentSchema as Schema | undefined)?.title ?? "this object";
    return { path: `${path}.${e.params.additionalProperty}`, message: `is not a field of ${def}` };
  }
  return { path, message: e.message ?? e.keyword };
}

/** A validator for `kinds`, with Ajv compiling the derived schemas. */
export function createStrictValidator(kinds: readonly StrictKind[]): StrictValidator {
  const schemas = strictKubernetesSchema(kinds);
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
  ajv.addSchema({ $id: "k8s-strict", definitions: schemas.definitions });
  const byKind = new Map(
    Object.entries(schemas.kinds).map(([k, schema]) => [
      k,
      ajv.compile({ ...schema, $ref: `k8s-strict${String(schema.$ref)}` }),
    ]),
  );
  return {
    schemas,
    check(o) {
      const { apiVersion, kind } = (o && typeof o === "object" ? o : {}) as Schema;
      const validate = byKind.get(`${String(apiVersion)}/${String(kind)}`);
      if (!validate) return [{ path: "(object)", message: `no schema here for ${String(apiVersion)} ${String(kind)}` }];
      if (validate(o)) return [];
      return (validate.errors ?? []).map(describe);
    },
  };
}
