import { create } from "@bufbuild/protobuf";
import { backgroundContext, Code, GenerateRequestSchema, type GenerateResponse, ModelwireError } from "@modelwire/core";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createSyntheticEngine } from "./synthetic.js";

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);

const engine = createSyntheticEngine({ tokens: 16 });
const gen = (format: unknown, extra: Record<string, unknown> = {}) =>
  create(GenerateRequestSchema, {
    model: "synthetic",
    prompt: "give me JSON",
    format: JSON.stringify(format),
    ...extra,
  });
const textOf = (format: unknown, extra?: Record<string, unknown>) =>
  engine.expectedGenerate(gen(format, extra)).join("");

async function collect(it: AsyncIterable<GenerateResponse>) {
  const chunks: GenerateResponse[] = [];
  for await (const c of it) chunks.push(c);
  return chunks;
}

function formatError(fn: () => unknown): ModelwireError | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ModelwireError && e.code === Code.InvalidArgument && e.metadata.field === "format") return e;
    throw e;
  }
  return undefined;
}

describe('format: "json"', () => {
  it("streams one valid JSON object, word by word, ending with done_reason stop", async () => {
    const chunks = await collect(engine.generate(gen("json"), backgroundContext()));
    const text = chunks.map((c) => c.response).join("");
    const doc = JSON.parse(text);
    expect(typeof doc).toBe("object");
    expect(Array.isArray(doc)).toBe(false);
    expect(Object.keys(doc).length).toBeGreaterThan(0);
    expect(chunks.filter((c) => !c.done).length).toBeGreaterThan(3);
    const final = chunks.at(-1)!;
    expect(final.doneReason).toBe("stop");
    expect(final.metrics?.evalCount).toBe(chunks.length - 1);
  });

  it("is deterministic, depends on the prompt, and parses for many prompts and seeds", () => {
    expect(textOf("json")).toBe(textOf("json"));
    expect(textOf("json", { prompt: "another" })).not.toBe(textOf("json"));
    fc.assert(
      fc.property(fc.string(), fc.bigInt({ min: 0n, max: 1000n }), (prompt, seed) => {
        expect(() => JSON.parse(textOf("json", { prompt: `p${prompt}`, options: { seed } }))).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it("a num_predict too small for the document cuts it with done_reason length, as a real model's would be", async () => {
    const chunks = await collect(engine.generate(gen("json", { options: { numPredict: 2 } }), backgroundContext()));
    expect(chunks.filter((c) => !c.done)).toHaveLength(2);
    expect(chunks.at(-1)!.doneReason).toBe("length");
    // A generous limit leaves the document whole.
    const whole = await collect(engine.generate(gen("json", { options: { numPredict: 500 } }), backgroundContext()));
    expect(() => JSON.parse(whole.map((c) => c.response).join(""))).not.toThrow();
    expect(whole.at(-1)!.doneReason).toBe("stop");
  });
});

const PYDANTIC_LIKE = {
  $defs: {
    Address: {
      properties: { street: { title: "Street", type: "string" }, zip: { pattern: "^[0-9]+$", type: "string" } },
      required: ["street", "zip"],
      title: "Address",
      type: "object",
    },
    Role: { enum: ["admin", "user", "guest"], title: "Role", type: "string" },
  },
  properties: {
    name: { title: "Name", type: "string", minLength: 3, maxLength: 12 },
    age: { title: "Age", type: "integer", minimum: 18, maximum: 99 },
    score: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
    active: { type: "boolean" },
    role: { $ref: "#/$defs/Role" },
    address: { $ref: "#/$defs/Address" },
    nickname: { anyOf: [{ type: "string" }, { type: "null" }], default: null },
    tags: { items: { type: "string" }, type: "array", minItems: 2, maxItems: 4, uniqueItems: true },
    when: { type: "string", format: "date-time" },
    id: { type: "string", format: "uuid" },
    pair: { type: "array", prefixItems: [{ type: "integer" }, { const: "x" }], items: false },
  },
  required: ["name", "age", "role", "address", "tags"],
  additionalProperties: false,
  title: "Person",
  type: "object",
};

describe("format: a JSON schema", () => {
  it("streams a deterministic document that validates (Pydantic/Zod-shaped schema, checked with ajv)", async () => {
    const chunks = await collect(engine.generate(gen(PYDANTIC_LIKE), backgroundContext()));
    const doc = JSON.parse(chunks.map((c) => c.response).join(""));
    const validate = ajv.compile(PYDANTIC_LIKE);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(chunks.at(-1)!.doneReason).toBe("stop");
    expect(JSON.parse(textOf(PYDANTIC_LIKE))).toEqual(doc);
  });

  it("every top-level type: arrays, strings, numbers, enums", () => {
    for (const schema of [
      { type: "array", items: { type: "integer", multipleOf: 5, minimum: 1, maximum: 40 }, minItems: 3 },
      { type: "string", enum: ["a", "b"] },
      { type: "number", minimum: -3.5, maximum: -3.25 },
      { type: "integer", exclusiveMinimum: 9, exclusiveMaximum: 11 },
      { oneOf: [{ type: "integer" }, { type: "string", maxLength: 0 }] },
      { allOf: [{ type: "object", properties: { a: { type: "string" } }, required: ["a"] }, { minProperties: 3 }] },
      { type: ["null", "boolean"] },
    ]) {
      const doc = JSON.parse(textOf(schema));
      const validate = ajv.compile(schema);
      expect(validate(doc), `${JSON.stringify(schema)} -> ${JSON.stringify(doc)}`).toBe(true);
    }
  });

  it("a schema nobody can satisfy is InvalidArgument naming format, saying what and where", () => {
    const impossible: [unknown, RegExp][] = [
      [{ type: "integer", minimum: 5, maximum: 1 }, /bounds/],
      [{ type: "integer", exclusiveMinimum: 1, exclusiveMaximum: 2 }, /no integer/],
      [{ type: "integer", multipleOf: 7, minimum: 1, maximum: 6 }, /multiple of 7/],
      [{ type: "string", minLength: 5, maxLength: 2 }, /minLength 5 exceeds maxLength 2/],
      [{ type: "array", minItems: 3, maxItems: 1 }, /minItems/],
      [{ type: "string", enum: [1, 2] }, /enum/],
      [{ enum: [] }, /enum/],
      [{ type: "string", const: 3 }, /const/],
      [{ allOf: [{ type: "string" }, { type: "integer" }] }, /exclude each other/],
      [{ type: "object", required: ["x"], additionalProperties: false }, /"x" is forbidden/],
      [{ type: "object", properties: { a: false }, required: ["a"] }, /false admits no value/],
      [{ type: "array", items: { enum: [1] }, minItems: 2, uniqueItems: true }, /distinct/],
      [{ type: "string", pattern: "^[0-9]{40}$" }, /pattern/],
      [{ not: { type: "string" } }, /"not" is not supported/],
      [{ $ref: "https://example.com/schema.json" }, /local references/],
      [
        {
          $defs: { n: { type: "object", properties: { c: { $ref: "#/$defs/n" } }, required: ["c"] } },
          $ref: "#/$defs/n",
        },
        /deeper than/,
      ],
    ];
    for (const [schema, why] of impossible) {
      const err = formatError(() => engine.generate(gen(schema), backgroundContext()));
      expect(err, JSON.stringify(schema)).toBeDefined();
      expect(err!.rawMessage, JSON.stringify(schema)).toMatch(why);
      expect(err!.rawMessage).toMatch(/^format: /);
    }
    // Not JSON, or neither "json" nor an object.
    for (const bad of ["{", '"yaml"', "[1]", "42"]) {
      const req = create(GenerateRequestSchema, { model: "synthetic", prompt: "x", format: bad });
      expect(
        formatError(() => engine.generate(req, backgroundContext())),
        bad,
      ).toBeDefined();
    }
  });
});

// Schemas that are satisfiable by construction (bounds ordered, enums typed): the engine must always produce a
// document ajv accepts.
const key = fc.constantFrom("a", "b", "c", "name", "x-y", "ü");
const leaf: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.constant({ type: "boolean" }),
  fc.constant({ type: "null" }),
  fc.tuple(fc.nat(6), fc.nat(10)).map(([lo, w]) => ({ type: "string", minLength: lo, maxLength: lo + w })),
  fc.uniqueArray(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 4 }).map((e) => ({ type: "string", enum: e })),
  fc
    .tuple(fc.integer({ min: -1000, max: 1000 }), fc.nat(500))
    .map(([lo, w]) => ({ type: "integer", minimum: lo, maximum: lo + w })),
  fc
    .tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 0.01, max: 1e3, noNaN: true }))
    .map(([lo, w]) => ({ type: "number", exclusiveMinimum: lo, exclusiveMaximum: lo + w })),
  fc.integer({ min: 1, max: 9 }).map((m) => ({ type: "integer", multipleOf: m, minimum: 0, maximum: m * 5 })),
  fc
    .constantFrom("date-time", "date", "email", "uuid", "ipv4", "uri", "hostname")
    .map((f) => ({ type: "string", format: f })),
  fc.constant({ type: "string", pattern: "^[a-z]+$" }),
  fc.constant({ const: { fixed: [1, 2] } }),
);
const { node } = fc.letrec<{
  node: Record<string, unknown>;
  obj: Record<string, unknown>;
  arr: Record<string, unknown>;
}>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", maxDepth: 4 },
    leaf,
    tie("obj"),
    tie("arr"),
    tie("node").map((n) => ({ anyOf: [n, { type: "null" }] })),
  ),
  obj: fc
    .dictionary(key, tie("node"), { maxKeys: 4 })
    .chain((props) =>
      fc
        .tuple(fc.subarray(Object.keys(props)), fc.boolean())
        .map(([required, closed]) => ({ type: "object", properties: props, required, additionalProperties: !closed })),
    ),
  arr: fc
    .tuple(tie("node"), fc.nat(2), fc.nat(3))
    .map(([items, lo, w]) => ({ type: "array", items, minItems: lo, maxItems: lo + w })),
}));

describe("format: property test against ajv", () => {
  it("every satisfiable schema gets a document that validates, deterministically", () => {
    fc.assert(
      fc.property(node, fc.string({ maxLength: 8 }), (schema, prompt) => {
        const text = textOf(schema, { prompt: `p${prompt}` });
        const doc = JSON.parse(text);
        const validate = ajv.compile(schema);
        expect(validate(doc), `${JSON.stringify(schema)} -> ${text}: ${JSON.stringify(validate.errors)}`).toBe(true);
        expect(textOf(schema, { prompt: `p${prompt}` })).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
