/**
 * The page the browser test loads in headless Chromium (bundled by esbuild in the test): it calls the gateway from
 * its own origin as a web app would — `fetch` over Ollama's NDJSON and the OpenAI-compatible SSE, and
 * `@connectrpc/connect-web` over the Connect protocol and gRPC-Web — and posts what it received to `/result` on
 * its own origin. Query: `http`, `connect` (the gateway's base URLs), `token`, `prompt`.
 */
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { InferenceService } from "@modelwire/core";

/** The page's query (the test package has no DOM types; `location` is the page's). */
const q = new URLSearchParams((globalThis as unknown as { location: { search: string } }).location.search);
const http = q.get("http") ?? "";
const connect = q.get("connect") ?? "";
const token = q.get("token") ?? "";
const prompt = q.get("prompt") ?? "";
const auth = { authorization: `Bearer ${token}` };

/** What one way of calling returned: the streamed texts, or why it failed. */
export type Outcome = { ok: true; chunks: string[] } | { ok: false; error: string; connectCode?: number };

/** Reads a response body line by line as it streams. */
async function* lines(res: Response): AsyncGenerator<string> {
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let nl = buffered.indexOf("\n");
    while (nl !== -1) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf("\n");
    }
  }
  if (buffered !== "") yield buffered;
}

async function ndjson(): Promise<string[]> {
  const res = await fetch(`${http}/api/generate`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ model: "synthetic", prompt }),
  });
  const out: string[] = [];
  let done = false;
  for await (const line of lines(res)) {
    if (line.trim() === "") continue;
    const chunk = JSON.parse(line);
    if (chunk.error) throw new Error(chunk.error);
    if (chunk.done) done = true;
    else out.push(chunk.response);
  }
  if (!done) throw new Error("the NDJSON stream ended without a done chunk");
  return out;
}

async function sse(): Promise<string[]> {
  const res = await fetch(`${http}/v1/chat/completions`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ model: "synthetic", messages: [{ role: "user", content: prompt }], stream: true }),
  });
  const out: string[] = [];
  let done = false;
  for await (const line of lines(res)) {
    if (!line.startsWith("data: ")) continue;
    const data = line.slice("data: ".length);
    if (data === "[DONE]") {
      done = true;
      continue;
    }
    const content = JSON.parse(data).choices?.[0]?.delta?.content;
    if (content) out.push(content);
  }
  if (!done) throw new Error("the SSE stream ended without [DONE]");
  return out;
}

async function rpc(transport: Transport): Promise<string[]> {
  const client = createClient(InferenceService, transport);
  const out: string[] = [];
  let done = false;
  for await (const chunk of client.generate({ model: "synthetic", prompt }, { headers: auth })) {
    if (chunk.done) done = true;
    else out.push(chunk.response);
  }
  if (!done) throw new Error("the stream ended without a done chunk");
  return out;
}

async function outcome(run: () => Promise<string[]>): Promise<Outcome> {
  try {
    return { ok: true, chunks: await run() };
  } catch (e) {
    return { ok: false, error: String(e), connectCode: e instanceof ConnectError ? e.code : undefined };
  }
}

const result: Record<string, Outcome> = {
  ndjson: await outcome(ndjson),
  sse: await outcome(sse),
  connect: await outcome(() => rpc(createConnectTransport({ baseUrl: connect }))),
  grpcWeb: await outcome(() => rpc(createGrpcWebTransport({ baseUrl: connect }))),
};
await fetch("/result", { method: "POST", body: JSON.stringify(result) });
