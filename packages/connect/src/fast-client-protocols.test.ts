import { type InferenceClient, ModelwireError, type ProtocolServer } from "@modelwire/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnectClient } from "./client.js";
import { createConnectServer } from "./server.js";
import { fixedEngine } from "./test-support/fixed-engine.js";

// Differential tests of the client's fast paths for gRPC-Web and the Connect protocol against connect-node's own
// client (the same client with the fast paths off): against connect-node's server handlers and against our server
// fast paths, every call must give the same messages and the same error (code, message, metadata).

const TOKEN = "t0ken";
let fast: ProtocolServer;
let stock: ProtocolServer;
const urls: Record<string, string> = {};
beforeAll(async () => {
  fast = createConnectServer({ engine: fixedEngine(), authToken: TOKEN });
  stock = createConnectServer({ engine: fixedEngine(), authToken: TOKEN, fastUnary: false, fastStreaming: false });
  urls.fast = (await fast.listen())[0].url;
  urls.stock = (await stock.listen())[0].url;
});
afterAll(async () => {
  await Promise.all([fast.close({ graceMs: 100 }), stock.close({ graceMs: 100 })]);
});

interface Outcome {
  messages: unknown[];
  error?: { code: number; message: string; metadata: Record<string, string> };
}

/** Runs a call; the messages it got before it failed count too. */
async function outcome(run: (got: unknown[]) => Promise<unknown[]>, exactMessage = true): Promise<Outcome> {
  const messages: unknown[] = [];
  try {
    const result = await run(messages);
    if (result !== messages) messages.push(...result);
    return { messages };
  } catch (e) {
    const err = ModelwireError.from(e);
    return {
      messages,
      error: { code: err.code, message: exactMessage ? err.rawMessage : "", metadata: { ...err.metadata } },
    };
  }
}

async function collect<T>(it: AsyncIterable<T>, into: unknown[]): Promise<unknown[]> {
  for await (const m of it) into.push(m);
  return into;
}

/**
 * A scenario: its call (`timeoutMs` is the deadline of the deadline scenarios), whether the error message is compared
 * exactly, and for a call that races its deadline the messages it must have got first: an outcome with fewer is run
 * again on both clients with twice the deadline (a loaded machine may take longer than 200 ms to the first one).
 */
type Scenario = [
  name: string,
  call: (c: InferenceClient, got: unknown[], timeoutMs: number) => Promise<unknown[]>,
  exact?: boolean,
  before?: number,
];
const scenarios: Scenario[] = [
  ["Generate to its end", (c, got) => collect(c.generate({ model: "fixed", prompt: "ok" }), got)],
  [
    "Generate failing before any message",
    (c, got) => collect(c.generate({ model: "fixed", prompt: "fail-early" }), got),
  ],
  ["Generate failing after messages", (c, got) => collect(c.generate({ model: "fixed", prompt: "fail-late" }), got)],
  [
    "Chat failing after messages",
    (c, got) => collect(c.chat({ model: "fixed", messages: [{ role: "user", content: "fail-late" }] }), got),
  ],
  [
    "Generate past its deadline",
    (c, got, timeoutMs) => collect(c.generate({ model: "fixed", prompt: "hang" }, { timeoutMs }), got),
    false,
    1,
  ],
  ["Version", async (c) => [await c.version()]],
  ["Show of a missing model", async (c) => [await c.show({ model: "nope" })]],
  ["Show past its deadline", async (c, _got, timeoutMs) => [await c.show({ model: "hang" }, { timeoutMs })], false],
];

describe.each(["connect", "grpc-web"] as const)("%s client fast paths", (protocol) => {
  const clients: Record<string, InferenceClient> = {};
  beforeAll(() => {
    for (const server of ["fast", "stock"]) {
      for (const [name, on] of [
        ["fast", true],
        ["stock", false],
      ] as const) {
        clients[`${server}/${name}`] = createConnectClient({
          baseUrl: urls[server],
          protocol,
          authToken: TOKEN,
          retry: false,
          fastUnary: on,
          fastStreaming: on,
        });
      }
    }
  });
  afterAll(async () => {
    await Promise.all(Object.values(clients).map((c) => c.close()));
  });

  it.each(scenarios)("%s: the same messages and error as connect-node's client", async (_name, call, exact, before) => {
    for (const server of ["fast", "stock"]) {
      let a: Outcome;
      let b: Outcome;
      for (let timeoutMs = 200; ; timeoutMs *= 2) {
        a = await outcome((got) => call(clients[`${server}/fast`], got, timeoutMs), exact !== false);
        b = await outcome((got) => call(clients[`${server}/stock`], got, timeoutMs), exact !== false);
        const raced = (o: Outcome) => before !== undefined && o.messages.length < before;
        if (!(raced(a) || raced(b)) || timeoutMs >= 6_400) break;
      }
      expect(a, `server ${server}`).toEqual(b);
      expect(a.messages.length + (a.error ? 1 : 0)).toBeGreaterThan(0);
    }
  });

  it("a call without the token is UNAUTHENTICATED on both", async () => {
    for (const server of ["fast", "stock"]) {
      const res: Outcome[] = [];
      for (const on of [true, false]) {
        const c = createConnectClient({
          baseUrl: urls[server],
          protocol,
          retry: false,
          fastUnary: on,
          fastStreaming: on,
        });
        res.push(await outcome((got) => collect(c.generate({ model: "fixed", prompt: "ok" }), got)));
        res.push(await outcome(async () => [await c.version()]));
        await c.close();
      }
      expect(res[0].error?.code).toBe(16);
      expect(res.slice(0, 2)).toEqual(res.slice(2));
    }
  });
});
