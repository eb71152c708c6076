/**
 * Ollama behaviours applications depend on, checked on every wire the gateway serves (HTTP, Connect/gRPC, MCP)
 * through our clients, and on the HTTP port with the official `ollama` npm client and raw HTTP where a client
 * hides the detail. The reference is Ollama's own API (docs/api.md, api/types.go, server/routes.go).
 */
import { create } from "@bufbuild/protobuf";
import { ChatOllama } from "@langchain/ollama";
import { Code, GenerateRequestSchema, type InferenceClient } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { Ajv2020 } from "ajv/dist/2020.js";
import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Gateway, startGateway } from "./index.js";
import { ADDRESS_OF, CLIENT_KINDS, failureOf, makeClient, runChat, runGenerate } from "./test-support/clients.js";

const KNOBS = { seed: 5, tokens: 12 };
let gw: Gateway;
const clients: Partial<Record<(typeof CLIENT_KINDS)[number], InferenceClient>> = {};

beforeAll(async () => {
  gw = await startGateway({ httpPort: 0, connectPort: 0, mcpPort: 0, adminPort: 0, ...KNOBS });
  for (const kind of CLIENT_KINDS) clients[kind] = makeClient(kind, gw.url(ADDRESS_OF[kind])!);
});
afterAll(async () => {
  await Promise.allSettled(Object.values(clients).map((c) => c.close()));
  await gw?.close({ graceMs: 0 });
});

const engine = createSyntheticEngine(KNOBS);

describe("stop sequences on every wire", () => {
  const prompt = "stop sequences, please";
  const all = engine.expectedGenerate(create(GenerateRequestSchema, { model: "synthetic", prompt }));
  const full = all.join("");
  // A stop sequence spanning the boundary between tokens 3 and 4.
  const stop = `${all[3].slice(-2)}${all[4].slice(0, 2)}`;
  const before = full.slice(0, full.indexOf(stop));

  it.each(CLIENT_KINDS)("%s: ends before the stop sequence with done_reason stop", async (kind) => {
    const req = { model: "synthetic", prompt, options: { stop: [stop] } };
    const expected = engine.expectedGenerate(create(GenerateRequestSchema, req));
    const r = await runGenerate(clients[kind]!, req, expected);
    expect(r.intact).toBe(true);
    expect(r.tokens.join("")).toBe(before);
    expect(r.doneReason).toBe("stop");
  });

  it("the ollama npm client: streamed and joined replies end before the stop text", async () => {
    const ollama = new Ollama({ host: gw.url("http") });
    const parts: string[] = [];
    let reason: string | undefined;
    for await (const c of await ollama.generate({
      model: "synthetic",
      prompt,
      options: { stop: [stop] },
      stream: true,
    })) {
      parts.push(String(c.response));
      if (c.done) reason = c.done_reason;
    }
    expect(parts.join("")).toBe(before);
    expect(reason).toBe("stop");
    const joined = await ollama.generate({ model: "synthetic", prompt, options: { stop: [stop] }, stream: false });
    expect(joined.response).toBe(before);
    expect(joined.done_reason).toBe("stop");
    const chat = await ollama.chat({
      model: "synthetic",
      messages: [{ role: "user", content: prompt }],
      options: { stop: [" "] },
      stream: false,
    });
    expect(chat.message.content).not.toContain(" ");
    expect(chat.done_reason).toBe("stop");
  });
});

const PERSON = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 2 },
    age: { type: "integer", minimum: 0, maximum: 120 },
    role: { enum: ["admin", "user"] },
    tags: { type: "array", items: { type: "string" }, maxItems: 3 },
  },
  required: ["name", "age", "role"],
  additionalProperties: false,
};
const ajv = new Ajv2020({ strict: false });
const CONTRADICTORY = { type: "integer", minimum: 10, maximum: 1 };

describe("format on every wire", () => {
  it.each(CLIENT_KINDS)(
    '%s: "json" and a schema give valid documents; an impossible schema is InvalidArgument naming format',
    async (kind) => {
      const c = clients[kind]!;
      const json = { model: "synthetic", prompt: `json over ${kind}`, format: '"json"' };
      const g = await runGenerate(c, json, engine.expectedGenerate(create(GenerateRequestSchema, json)));
      expect(g.intact).toBe(true);
      expect(typeof JSON.parse(g.tokens.join(""))).toBe("object");
      const chat = { model: "synthetic", messages: [{ role: "user", content: kind }], format: JSON.stringify(PERSON) };
      const ch = await runChat(c, chat, []);
      expect(ajv.validate(PERSON, JSON.parse(ch.tokens.join("")))).toBe(true);
      expect(ch.doneReason).toBe("stop");
      const bad = await failureOf(() =>
        runGenerate(c, { model: "synthetic", prompt: "x", format: JSON.stringify(CONTRADICTORY) }, []),
      );
      expect(bad.code).toBe(Code.InvalidArgument);
      expect(bad.rawMessage).toMatch(/^format: /);
    },
  );

  it("the ollama npm client: format json and a schema parse with JSON.parse (what json.loads does in Python)", async () => {
    const ollama = new Ollama({ host: gw.url("http") });
    const r = await ollama.generate({ model: "synthetic", prompt: "json please", format: "json", stream: false });
    expect(typeof JSON.parse(String(r.response))).toBe("object");
    const chat = await ollama.chat({
      model: "synthetic",
      messages: [{ role: "user", content: "a person" }],
      format: PERSON,
      stream: false,
    });
    expect(ajv.validate(PERSON, JSON.parse(chat.message.content))).toBe(true);
  });

  it("raw HTTP: an impossible schema is a 400 whose error names format", async () => {
    const res = await fetch(`${gw.url("http")}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: "synthetic", prompt: "x", format: CONTRADICTORY }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(/^format: .*bounds/);
  });

  it("LangChain JS: ChatOllama with format json, and withStructuredOutput of a zod schema", async () => {
    const llm = new ChatOllama({ baseUrl: gw.url("http"), model: "synthetic", format: "json" });
    const msg = await llm.invoke("Answer in JSON.");
    expect(typeof JSON.parse(String(msg.content))).toBe("object");
    const Person = z.object({ name: z.string(), age: z.number().int().min(0), admin: z.boolean() });
    const structured = new ChatOllama({ baseUrl: gw.url("http"), model: "synthetic" }).withStructuredOutput(Person);
    const person = await structured.invoke("Describe a person.");
    expect(Person.safeParse(person).success).toBe(true);
  });
});
