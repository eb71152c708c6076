import { Code } from "@modelwire/core";
import { resolveOllamaHost } from "@modelwire/http";
import { describe, expect, it } from "vitest";
import {
  ADDRESS_OF,
  CLIENT_KINDS,
  expectedChat,
  expectedGenerate,
  failureOf,
  makeClient,
  runChat,
  runGenerate,
} from "./test-support/clients.js";
import { gatewaysAfterEach } from "./test-support/gateways.js";
import type { SpawnedGateway } from "./test-support/spawn-gateway.js";

const { clients, start } = gatewaysAfterEach();

async function stats(gw: SpawnedGateway) {
  return (await (await fetch(`${gw.url("admin")}/control/stats`)).json()) as Record<string, any>;
}

/** A real Ollama's base URL when OLLAMA_HOST is set and answers, else the reason it is skipped. */
async function probeOllama(): Promise<{ url: string } | { skip: string }> {
  if (!process.env.OLLAMA_HOST) return { skip: "OLLAMA_HOST is not set" };
  let url: string;
  try {
    url = resolveOllamaHost(process.env.OLLAMA_HOST).origin;
  } catch (e) {
    return { skip: `OLLAMA_HOST=${process.env.OLLAMA_HOST} is not usable: ${(e as Error).message}` };
  }
  try {
    const r = await fetch(`${url}/api/version`, { signal: AbortSignal.timeout(2000) });
    if (!r.ok) return { skip: `${url}/api/version answered ${r.status}` };
    return { url };
  } catch (e) {
    return { skip: `${url} does not answer: ${(e as Error).message}` };
  }
}
const ollama = await probeOllama();
if ("skip" in ollama) console.log(`skipping the real-Ollama upstream test: ${ollama.skip}`);

describe("modelwire serve --upstream", () => {
  it("puts another gateway (standing in for Ollama) behind every protocol, token for token", async () => {
    const knobs = { seed: 11, tokens: 9 };
    const origin = await start(["--seed", "11", "--tokens", "9", "--no-connect", "--no-mcp"]);
    const gw = await start(["--upstream", origin.url("http")]);
    for (const kind of CLIENT_KINDS) {
      const c = makeClient(kind, gw.url(ADDRESS_OF[kind]));
      clients.push(c);
      const gen = { model: "synthetic", prompt: `upstream ${kind}` };
      const g = await runGenerate(c, gen, expectedGenerate(knobs, gen));
      expect(g.intact, kind).toBe(true);
      expect(g.tokens).toHaveLength(9);
      const chat = { model: "synthetic", messages: [{ role: "user", content: `upstream chat ${kind}` }] };
      expect((await runChat(c, chat, expectedChat(knobs, chat))).intact, kind).toBe(true);
      // The upstream's own errors come through with their codes.
      expect((await failureOf(() => runGenerate(c, { model: "missing", prompt: "x" }, []))).code, kind).toBe(
        Code.NotFound,
      );
      expect((await c.list()).models.map((m) => m.name)).toContain("synthetic:latest");
    }
    const s = await stats(gw);
    expect(s.mode).toBe("upstream");
    expect(s.upstream.transport).toBeTypeOf("string");
    expect(s.engine.tokens).toBe(2 * 9 * CLIENT_KINDS.length);
    // Every call went through the origin.
    expect((await stats(origin)).engine.tokens).toBe(2 * 9 * CLIENT_KINDS.length);
    const r = await fetch(`${gw.url("admin")}/control/engine`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tokens: 1 }),
    });
    expect(r.status).toBe(409);
  });

  it("propagates a client's cancel to the upstream stream", async () => {
    const origin = await start(["--tokens", "400", "--inter-token-ms", "25", "--no-connect", "--no-mcp"]);
    const gw = await start(["--upstream", origin.url("http")]);
    for (const kind of CLIENT_KINDS) {
      const c = makeClient(kind, gw.url(ADDRESS_OF[kind]));
      clients.push(c);
      const before = (await stats(origin)).engine.cancelled as number;
      const abort = new AbortController();
      const e = await failureOf(() =>
        runGenerate(c, { model: "synthetic", prompt: `cancel ${kind}` }, [], {
          signal: abort.signal,
          onFirst: () => abort.abort(),
        }),
      );
      expect(e.code, kind).toBe(Code.Canceled);
      // The origin sees its stream cancelled, well before its 10 s of tokens would have ended.
      let s = await stats(origin);
      for (let i = 0; i < 200 && (s.engine.cancelled === before || s.engine.inFlight > 0); i++) {
        await new Promise((r) => setTimeout(r, 25));
        s = await stats(origin);
      }
      expect(s.engine.cancelled, kind).toBe(before + 1);
      expect(s.engine.inFlight, kind).toBe(0);
    }
  });

  it("starts with an upstream that does not answer, warns, and fails calls with Unavailable on every protocol", async () => {
    // A port that was free a moment ago: nothing listens there.
    const dead = await start(["--no-connect", "--no-mcp", "--no-admin"]);
    const url = dead.url("http");
    await dead.kill();
    const gw = await start(["--upstream", url]);
    for (const kind of CLIENT_KINDS) {
      const c = makeClient(kind, gw.url(ADDRESS_OF[kind]));
      clients.push(c);
      const e = await failureOf(() => runGenerate(c, { model: "synthetic", prompt: "x" }, [], { timeoutMs: 15_000 }));
      expect(e.code, kind).toBe(Code.Unavailable);
    }
    for (let i = 0; i < 100 && !gw.stderr().includes("does not answer"); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(gw.stderr()).toContain(`upstream ${url} does not answer`);
  });

  it.skipIf("skip" in ollama)(
    "puts a real Ollama (OLLAMA_HOST) behind every protocol",
    async () => {
      const gw = await start(["--upstream", (ollama as { url: string }).url]);
      const probe = makeClient("http", gw.url("http"));
      clients.push(probe);
      const models = (await probe.list()).models.map((m) => m.name);
      const model = models.find((m) => !/embed/i.test(m));
      if (!model) {
        console.log(
          `skipping generation against the real Ollama: no completion model among ${models.join(", ") || "none"}`,
        );
        return;
      }
      for (const kind of CLIENT_KINDS) {
        const c = makeClient(kind, gw.url(ADDRESS_OF[kind]));
        clients.push(c);
        const r = await runGenerate(c, { model, prompt: "Say hi.", options: { numPredict: 4 } }, [], {
          timeoutMs: 120_000,
        });
        expect(r.done, kind).toBe(true);
        expect(r.tokens.length, kind).toBeGreaterThan(0);
      }
    },
    300_000,
  );
});
