import { STANDIN_TOKENS } from "@modelwire/test-kit/standin";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { gatewaysAfterEach } from "./test-support/gateways.js";
import { HI, openaiClient, standInsAfterEach, streamChat } from "./test-support/openai-stand-ins.js";

const { start } = gatewaysAfterEach();
const standIn = standInsAfterEach();
const messages = HI;

describe("modelwire serve --upstream: the OpenAI API", () => {
  it("forwards /v1 unchanged to an upstream that serves it (a stand-in written from the API docs)", async () => {
    const standin = await standIn({ openai: true });
    const gw = await start(["--upstream", standin.url, "--no-connect", "--no-mcp"]);
    const client = openaiClient(gw);
    const { parts, finish } = await streamChat(client, "standin", { logprobs: false, tool_choice: "none" });
    expect(parts).toEqual([...STANDIN_TOKENS]);
    expect(finish).toBe("stop");
    const sent = standin.requests.find((r) => r.path === "/v1/chat/completions");
    // Forwarded as the client sent it: fields the translation would not carry arrive too.
    expect(sent?.body).toMatchObject({ model: "standin", stream: true, tool_choice: "none" });
    expect(standin.requests.some((r) => r.path === "/api/chat")).toBe(false);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["standin:latest"]);
    // The upstream's own errors come through with their status.
    const missing = await client.chat.completions.create({ model: "nope", messages }).catch((e) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    // The gateway's metrics count the forwarded calls under protocol="openai".
    const metrics = await (await fetch(`${gw.url("admin")}/metrics`)).text();
    expect(metrics).toMatch(/modelwire_requests_total\{protocol="openai",method="chat"\} [1-9]/);
    expect(metrics).toMatch(/modelwire_tokens_total\{protocol="openai",method="chat"\} 4/);
  });

  it("translates onto /api/chat when the upstream has no /v1", async () => {
    const standin = await standIn({ openai: false });
    const gw = await start(["--upstream", standin.url, "--no-connect", "--no-mcp"]);
    const client = openaiClient(gw);
    const { parts, finish } = await streamChat(client, "standin", { seed: 3 });
    expect(parts).toEqual([...STANDIN_TOKENS]);
    expect(finish).toBe("stop");
    const sent = standin.requests.find((r) => r.path === "/api/chat");
    expect(sent?.body).toMatchObject({
      model: "standin",
      messages: [{ role: "user", content: "hi" }],
      options: { seed: 3, temperature: 1, top_p: 1 },
    });
    const reply = await client.chat.completions.create({ model: "standin", messages });
    expect(reply.choices[0].message.content).toBe(STANDIN_TOKENS.join(""));
  });

  it("a client that goes away mid-stream stops the forwarded upstream stream", async () => {
    const standin = await standIn({
      openai: true,
      script: () => ({ tokens: Array.from({ length: 2000 }, (_, i) => ` t${i}`), delayMs: 2 }),
    });
    const gw = await start(["--upstream", standin.url, "--no-connect", "--no-mcp"]);
    const client = openaiClient(gw);
    const ac = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "standin", messages, stream: true },
      { signal: ac.signal },
    );
    let n = 0;
    for await (const _ of stream) if (++n === 5) ac.abort();
    const end = Date.now() + 10_000;
    while (standin.open > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(standin.open).toBe(0);
  });
});
