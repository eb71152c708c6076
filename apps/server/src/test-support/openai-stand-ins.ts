import { type StandIn, startStandIn } from "@modelwire/test-kit/standin";
import OpenAI from "openai";
import { afterEach } from "vitest";
import type { SpawnedGateway } from "./spawn-gateway.js";

/**
 * Stand-ins for Ollama and OpenAI (`@modelwire/test-kit/standin`, written from their API docs, never this server) for
 * the calling test file (call it at module level): the returned function starts one; all are closed after each test.
 */
export function standInsAfterEach(): (options?: Parameters<typeof startStandIn>[0]) => Promise<StandIn> {
  const running: StandIn[] = [];
  afterEach(async () => {
    await Promise.allSettled(running.splice(0).map((s) => s.close()));
  });
  return async (options = {}) => {
    const s = await startStandIn(options);
    running.push(s);
    return s;
  };
}

/** The official `openai` client on a gateway's `/v1` (no retries, so a failure is seen as it is). */
export function openaiClient(gw: SpawnedGateway): OpenAI {
  return new OpenAI({ baseURL: `${gw.url("http")}/v1`, apiKey: "x", maxRetries: 0 });
}

/** One user message. */
export const HI = [{ role: "user" as const, content: "hi" }];

/** Streams a chat completion with the official client: the content parts in order and the finish reason. */
export async function streamChat(client: OpenAI, model = "standin", extra: Record<string, unknown> = {}) {
  const parts: string[] = [];
  let finish: string | null = null;
  const stream = await client.chat.completions.create({
    model,
    messages: HI,
    stream: true,
    ...extra,
  } as OpenAI.ChatCompletionCreateParamsStreaming);
  for await (const c of stream) {
    if (c.choices[0]?.delta.content) parts.push(c.choices[0].delta.content);
    if (c.choices[0]?.finish_reason) finish = c.choices[0].finish_reason;
  }
  return { parts, finish };
}
