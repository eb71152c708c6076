/**
 * Ollama behaviours applications depend on, checked on every wire the gateway serves (HTTP, Connect/gRPC, MCP)
 * through our clients, and on the HTTP port with the official `ollama` npm client and raw HTTP where a client
 * hides the detail. The reference is Ollama's own API (docs/api.md, api/types.go, server/routes.go).
 */
import { create } from "@bufbuild/protobuf";
import { GenerateRequestSchema, type InferenceClient } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "./index.js";
import { ADDRESS_OF, CLIENT_KINDS, makeClient, runGenerate } from "./test-support/clients.js";

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
