import { Ollama } from "ollama";
import { afterEach, describe, expect, it } from "vitest";
import { chunkTokens, replyTokens } from "./reply.js";
import { spawnOllamaStandIn } from "./spawn.js";
import { type OllamaStandIn, startOllamaStandIn } from "./standin.js";

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function standIn(o: Parameters<typeof startOllamaStandIn>[0] = {}): Promise<OllamaStandIn> {
  const s = await startOllamaStandIn(o);
  open.push(s);
  return s;
}

/** A raw streamed generate request, and how to leave it. */
async function openGenerate(s: OllamaStandIn) {
  const ac = new AbortController();
  const res = await fetch(`${s.url}/api/generate`, {
    method: "POST",
    body: JSON.stringify({ model: "standin", prompt: "p" }),
    signal: ac.signal,
  });
  return { ac, reader: res.body!.getReader() };
}

const msOf = (ns: number | undefined) => (ns ?? 0) / 1e6;

describe("stand-in Ollama (official ollama client)", () => {
  it("streams a generate reply in chunks of several tokens, with durations from its own clock", async () => {
    const s = await standIn({ ttftMs: 30, interTokenMs: 5, tokensPerChunk: 3, loadMs: 40 });
    const ollama = new Ollama({ host: s.url });
    const t0 = performance.now();
    const parts: string[] = [];
    let last: Awaited<ReturnType<typeof ollama.generate>> | undefined;
    for await (const c of await ollama.generate({
      model: "standin",
      prompt: "why is the sky blue",
      stream: true,
      options: { num_predict: 10, temperature: 0 },
    })) {
      if (c.done) last = c as never;
      else parts.push(c.response ?? "");
    }
    const wall = performance.now() - t0;
    expect(parts.length).toBe(4); // 3 + 3 + 3 + 1 tokens
    expect(last?.eval_count).toBe(10);
    expect(last?.done_reason).toBe("length");
    expect(last?.prompt_eval_count).toBe(5);
    // Measured, not the knobs: each phase took at least its configured time, and the parts add up to the total.
    expect(msOf(last?.load_duration)).toBeGreaterThanOrEqual(39);
    expect(msOf(last?.prompt_eval_duration)).toBeGreaterThanOrEqual(29);
    expect(msOf(last?.eval_duration)).toBeGreaterThanOrEqual(9 * 5 - 1);
    const sum = msOf(last?.load_duration) + msOf(last?.prompt_eval_duration) + msOf(last?.eval_duration);
    expect(msOf(last?.total_duration)).toBeGreaterThanOrEqual(sum - 0.01);
    expect(msOf(last?.total_duration)).toBeLessThanOrEqual(wall);
    // The second call finds the model loaded: no second load.
    await ollama.generate({ model: "standin", prompt: "x", stream: false });
    expect(s.stats().loads).toBe(1);
  });

  it("gives the same text for the same prompt with temperature 0 or a seed, different text otherwise", async () => {
    const s = await standIn();
    const ollama = new Ollama({ host: s.url });
    const gen = async (options: Record<string, number>) =>
      (await ollama.generate({ model: "standin:latest", prompt: "hello there", stream: false, options })).response;
    expect(await gen({ temperature: 0 })).toBe(await gen({ temperature: 0 }));
    expect(await gen({ seed: 7, temperature: 0.8 })).toBe(await gen({ seed: 7, temperature: 0.8 }));
    expect(await gen({ seed: 7 })).not.toBe(await gen({ seed: 8 }));
    const sampled = new Set(await Promise.all([1, 2, 3].map(() => gen({ temperature: 0.8 }))));
    expect(sampled.size).toBeGreaterThan(1);
    // The text is what the pure reply function says for the request.
    expect(await gen({ temperature: 0, num_predict: 6 })).toBe(
      replyTokens({ model: "standin:latest", prompt: "hello there", temperature: 0, numPredict: 6 }, 16, 0).join(""),
    );
  });

  it("answers chat with the history resent, load and unload replies, tags, show, ps and version", async () => {
    const s = await standIn({ models: ["a:1b", "b:latest"] });
    const ollama = new Ollama({ host: s.url });
    const history = [{ role: "user", content: "hi" }];
    const r1 = await ollama.chat({ model: "a:1b", messages: history, options: { temperature: 0 } });
    expect(r1.message.role).toBe("assistant");
    expect(r1.eval_count).toBe(16);
    const r2 = await ollama.chat({
      model: "a:1b",
      messages: [...history, r1.message, { role: "user", content: "more" }],
      options: { temperature: 0 },
    });
    expect(r2.message.content).not.toBe(r1.message.content);
    expect(r2.prompt_eval_count).toBeGreaterThan(r1.prompt_eval_count);
    const streamed: string[] = [];
    for await (const c of await ollama.chat({
      model: "a:1b",
      messages: history,
      stream: true,
      options: { temperature: 0 },
    }))
      streamed.push(c.message.content);
    expect(streamed.join("")).toBe(r1.message.content);
    expect((await ollama.list()).models.map((m) => m.name)).toEqual(["a:1b", "b:latest"]);
    expect((await ollama.ps()).models.map((m) => m.name)).toEqual(["a:1b"]);
    expect((await ollama.show({ model: "b" })).capabilities).toEqual(["completion"]);
    expect((await ollama.version()).version).toBe("0.0.0-standin");
    const load = await ollama.generate({ model: "b", prompt: "", stream: false });
    expect(load.done_reason).toBe("load");
    const unload = await ollama.generate({ model: "b", prompt: "", keep_alive: 0, stream: false });
    expect(unload.done_reason).toBe("unload");
  });

  it("answers bad requests as Ollama does: unknown model 404, bad JSON 400, unknown path 404", async () => {
    const s = await standIn();
    const ollama = new Ollama({ host: s.url });
    await expect(ollama.generate({ model: "nope", prompt: "x", stream: false })).rejects.toThrow(/not found/);
    const post = (path: string, body: string) => fetch(`${s.url}${path}`, { method: "POST", body });
    const bad = await post("/api/generate", "{not json");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBeTruthy();
    expect((await post("/api/generate", "")).status).toBe(400);
    expect((await post("/api/generate", JSON.stringify({ prompt: "x" }))).status).toBe(400);
    expect((await fetch(`${s.url}/v1/models`)).status).toBe(404);
    expect((await fetch(`${s.url}/api/generate`)).status).toBe(405);
    expect(await (await fetch(s.url)).text()).toBe("Ollama is running");
  });

  it("holds requests past --parallel in a queue whose wait counts into load_duration", async () => {
    const s = await standIn({ parallel: 1, interTokenMs: 10, defaultTokens: 4 });
    const ollama = new Ollama({ host: s.url });
    const replies = await Promise.all(
      [1, 2].map(() => ollama.generate({ model: "standin", prompt: "q", stream: false })),
    );
    expect(s.stats().peakInFlight).toBe(1);
    const loads = replies.map((r) => msOf(r.load_duration)).sort((a, b) => a - b);
    expect(loads[1]).toBeGreaterThanOrEqual(25); // waited for the other's ~30 ms of tokens
  });

  it("corrupts exactly one token of the N-th completion when asked", async () => {
    const s = await standIn({ corruptRequest: 2 });
    const ollama = new Ollama({ host: s.url });
    const texts = [];
    for (let i = 0; i < 3; i++)
      texts.push(
        (await ollama.generate({ model: "standin", prompt: "p", stream: false, options: { temperature: 0 } })).response,
      );
    expect(texts[0]).toBe(texts[2]);
    expect(texts[1]).not.toBe(texts[0]);
    expect(texts[1]).toContain("~corrupted");
  });

  it("stops generating when the client goes away", async () => {
    const s = await standIn({ interTokenMs: 20, defaultTokens: 100 });
    const { ac, reader } = await openGenerate(s);
    await reader.read();
    ac.abort();
    const { until } = await import("../poll.js");
    await until(() => s.stats().inFlight === 0 && s.stats().cancelled === 1);
  });

  it("stalls a stream after N chunks while its other paths keep answering, until the client leaves", async () => {
    const s = await standIn({ stallAfter: 2, defaultTokens: 6 });
    const { ac, reader } = await openGenerate(s);
    let text = "";
    const { until } = await import("../poll.js");
    const pump = (async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) return;
        text += new TextDecoder().decode(r.value);
      }
    })().catch(() => {});
    await until(() => text.split("\n").filter(Boolean).length === 2);
    expect(await new Ollama({ host: s.url }).version()).toEqual({ version: "0.0.0-standin" });
    await new Promise((r) => setTimeout(r, 100));
    expect(text.split("\n").filter(Boolean).length).toBe(2);
    expect(text).not.toContain('"done":true');
    ac.abort();
    await pump;
    await until(() => s.stats().inFlight === 0 && s.stats().cancelled === 1);
  });

  it("runs as its own process", async () => {
    const p = await spawnOllamaStandIn({ ttftMs: 5, tokensPerChunk: 2, defaultTokens: 4 });
    open.push(p);
    expect(p.pid).not.toBe(process.pid);
    const r = await new Ollama({ host: p.url }).generate({ model: "standin", prompt: "p", stream: false });
    expect(r.eval_count).toBe(4);
    expect(chunkTokens(["a", "b", "c"], 2)).toEqual(["ab", "c"]);
  });
});
