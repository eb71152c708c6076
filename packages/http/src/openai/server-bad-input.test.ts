import { type ChatResponse, Code, ModelwireError } from "@modelwire/core";
import type { Engine } from "@modelwire/engine";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../test-support/harness.js";
import { rawExchange } from "../test-support/raw-http.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const messages = [{ role: "user", content: "x" }];

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${h!.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Asserts OpenAI's error shape and returns its `error` object. */
function openaiError(text: string): { message: string; type: string; param: string | null; code: string | null } {
  const body = JSON.parse(text);
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof body.error.message).toBe("string");
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error;
}

describe("bad input on the OpenAI routes: an OpenAI-shaped error, never a crash or a hang", () => {
  it.each([
    ['{"model":', 400, null, /unexpected EOF/],
    ["not json", 400, null, /invalid JSON/],
    ["", 400, null, /missing request body/],
    ["[]", 400, null, /JSON object/],
    [JSON.stringify({ model: "synthetic", messages, temperature: "hot" }), 400, "temperature", /temperature/],
    [
      JSON.stringify({ model: "synthetic", messages: [{ role: "user", content: { text: "x" } }] }),
      400,
      "messages[0].content",
      /content/,
    ],
    [JSON.stringify({ model: "synthetic", messages, n: 3 }), 400, "n", /n = 3/],
    [JSON.stringify({ model: "synthetic", messages, stream: 1 }), 400, "stream", /boolean/],
    [`${"[".repeat(200)}${"]".repeat(200)}`, 400, null, /nesting/],
  ])("chat body %j → %i (param %s)", async (body, status, param, message) => {
    h = await startHarness();
    const res = await post("/v1/chat/completions", body);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const e = openaiError(res.text);
    expect(e.type).toBe("invalid_request_error");
    expect(e.param).toBe(param);
    expect(e.code).toBe("invalid_argument");
    expect(e.message).toMatch(message);
  });

  it("n > 1 on completions and bad input on embeddings are 400s naming the field", async () => {
    h = await startHarness();
    const c = await post("/v1/completions", JSON.stringify({ model: "synthetic", prompt: "x", n: 2 }));
    expect(c.status).toBe(400);
    expect(openaiError(c.text).param).toBe("n");
    const e = await post("/v1/embeddings", JSON.stringify({ model: "synthetic-embed", input: [1, 2] }));
    expect(e.status).toBe(400);
    expect(openaiError(e.text).param).toBe("input[0]");
  });

  it("a body that is not UTF-8 is a 400", async () => {
    h = await startHarness();
    const res = await post("/v1/chat/completions", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(res.status).toBe(400);
    expect(openaiError(res.text).message).toMatch(/UTF-8/);
  });

  it("an oversized body is a 413 in OpenAI's shape and the connection closes", async () => {
    h = await startHarness({}, { maxBodyBytes: 1024 });
    const body = JSON.stringify({ model: "synthetic", messages: [{ role: "user", content: "x".repeat(4000) }] });
    const res = await rawExchange(h.url, [
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      body,
    ]);
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe("close");
    const e = openaiError(res.body);
    expect(e.code).toBe("resource_exhausted");
    expect(e.message).toMatch(/exceeds the limit of 1024 bytes/);
  });

  it("an unknown path under /v1 is a 404 and a wrong method a 405, both in OpenAI's shape", async () => {
    h = await startHarness();
    const nf = await post("/v1/nope", "{}");
    expect(nf.status).toBe(404);
    expect(openaiError(nf.text).type).toBe("not_found_error");
    const wrong = await fetch(`${h.url}/v1/chat/completions`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
    openaiError(await wrong.text());
    // The server still serves.
    const ok = await post("/v1/chat/completions", JSON.stringify({ model: "synthetic", messages }));
    expect(ok.status).toBe(200);
  });

  it("a failure mid-stream is a last error event and no [DONE]; the openai client throws it", async () => {
    const failing = (e: Engine): Engine => ({
      ...e,
      async *chat(req, ctx) {
        let n = 0;
        for await (const c of e.chat(req, ctx) as AsyncIterable<ChatResponse>) {
          if (++n === 3) throw new ModelwireError("the model crashed", Code.Internal);
          yield c;
        }
      },
    });
    h = await startHarness({ tokens: 10 }, {}, failing);
    const raw = await post("/v1/chat/completions", JSON.stringify({ model: "synthetic", messages, stream: true }));
    expect(raw.status).toBe(200);
    expect(raw.headers.get("content-type")).toBe("text/event-stream");
    const events = raw.text.split("\n\n").filter(Boolean);
    expect(events).toHaveLength(3);
    expect(raw.text).not.toContain("[DONE]");
    const last = JSON.parse(events[2].slice("data: ".length));
    expect(last.error).toMatchObject({ message: "the model crashed", type: "api_error", code: "internal" });

    const client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "x", maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: "synthetic",
      messages: [{ role: "user", content: "x" }],
      stream: true,
    });
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const c of stream) got.push(c.choices[0]?.delta.content ?? "");
      })(),
    ).rejects.toThrow(/the model crashed/);
    expect(got).toHaveLength(2);
  });
});
