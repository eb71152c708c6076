import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadInferenceServiceDefinition } from "@modelwire/connect/grpc-js";
import { Code, GenerateRequestSchema } from "@modelwire/core";
import { createMcpClient } from "@modelwire/mcp";
import { readOutcome, until } from "@modelwire/test-kit";
import { Ollama } from "ollama";
import { afterEach, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "./index.js";
import { parsePrometheus } from "./test-support/prometheus.js";

// Below what one unread stream queues (its high water mark, 16 KiB; an MCP connection's, 256 KiB), far above what
// a reader that keeps up holds: every unread stream passes it, a reader served meanwhile never does.
const BUDGET = 12 * 1024;
const SLOW = 3;
const LONG = 1_000_000;
// A reply this short fits in the sockets' buffers: nothing of it waits on the gateway's side.
const NORMAL = 200;
const SLOW_TEST = 120_000;

let gw: Gateway | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await gw?.close({ graceMs: 0 });
  gw = undefined;
});

async function start(): Promise<Gateway> {
  // Only the budget cuts here (no stall timeout).
  gw = await startGateway({
    httpPort: 0,
    connectPort: 0,
    mcpPort: 0,
    adminPort: 0,
    maxQueuedBytes: BUDGET,
    writeStallTimeoutMs: 0,
  });
  return gw;
}

/** A listener's URL. */
function url(g: Gateway, protocol: string): string {
  const u = g.url(protocol);
  if (u === undefined) throw new Error(`no ${protocol} listener`);
  return u;
}

/** The budget's figures from /metrics: bytes held now, cuts so far. */
async function budget(g: Gateway): Promise<{ held: number; cut: number }> {
  const m = parsePrometheus(await (await fetch(`${url(g, "admin")}/metrics`)).text());
  const v = (name: string) => m.get(name)?.samples[0]?.value ?? Number.NaN;
  return { held: v("modelwire_queued_write_bytes"), cut: v("modelwire_write_budget_cut_total") };
}

const MESSAGE =
  /stream cut: the server held \d+ bytes for readers that are behind, over its budget of 12288 \(maxQueuedBytes\)/;

describe("--max-queued-bytes: the gateway-wide budget on bytes held for readers that are behind", () => {
  it(
    "HTTP (official ollama client): each unread stream is cut, and read again ends with the coded error, never a done chunk; a reader meanwhile is served in full; held bytes back to 0",
    async () => {
      const g = await start();
      const ollama = new Ollama({ host: url(g, "http") });
      const slow = await Promise.all(
        Array.from({ length: SLOW }, async (_, i) => {
          const s = await ollama.generate({
            model: "synthetic",
            prompt: `slow ${i}`,
            stream: true,
            options: { num_predict: LONG },
          });
          const it = s[Symbol.asyncIterator]();
          expect((await it.next()).done).toBe(false);
          cleanups.push(() => s.abort());
          return it;
        }),
      );
      await until(async () => (await budget(g)).cut === SLOW, 60_000);
      const normal = await ollama.generate({
        model: "synthetic",
        prompt: "normal",
        stream: false,
        options: { num_predict: NORMAL },
      });
      expect([normal.done, normal.eval_count]).toEqual([true, NORMAL]);
      const outcomes = await Promise.all(
        slow.map(async (it) => {
          let sawDone = false;
          try {
            for (let r = await it.next(); !r.done; r = await it.next()) if (r.value.done) sawDone = true;
          } catch (e) {
            return { sawDone, error: String(e) };
          }
          return { sawDone, error: "" };
        }),
      );
      for (const o of outcomes) {
        expect(o.sawDone).toBe(false);
        expect(o.error).toMatch(MESSAGE);
      }
      await until(async () => (await budget(g)).held === 0, 30_000);
      expect((await budget(g)).cut).toBe(SLOW);
    },
    SLOW_TEST,
  );

  it(
    "gRPC (stock grpc-js): each paused stream is reset, the client gets RESOURCE_EXHAUSTED and no clean end; a stream on another channel is served in full; held bytes back to 0",
    async () => {
      const g = await start();
      const Ctor = grpc.makeGenericClientConstructor(loadInferenceServiceDefinition(), "InferenceService");
      // grpc-js builds its methods at run time.
      const stub = (tag: string): any =>
        new Ctor(new URL(url(g, "connect")).host, grpc.credentials.createInsecure(), {
          "grpc.use_local_subchannel_pool": 1,
          "grpc.primary_user_agent": tag,
        });
      const slowStub = stub("slow");
      const normalStub = stub("normal");
      cleanups.push(
        () => slowStub.close(),
        () => normalStub.close(),
      );
      const outcomes = Array.from({ length: SLOW }, (_, i) => {
        const call: grpc.ClientReadableStream<{ done: boolean }> = slowStub.Generate({
          model: "synthetic",
          prompt: `slow ${i}`,
          options: { numPredict: LONG },
        });
        return new Promise<{ done: boolean; code?: number }>((resolve) => {
          let done = false;
          call.on("data", (d: { done: boolean }) => {
            done ||= d.done;
            call.pause();
          });
          call.on("error", (e: grpc.ServiceError) => resolve({ done, code: e.code }));
          call.on("end", () => resolve({ done }));
        });
      });
      await until(async () => (await budget(g)).cut === SLOW, 60_000);
      const normal = await new Promise<{ n: number; done: boolean }>((resolve, reject) => {
        let n = 0;
        let done = false;
        const c = normalStub.Generate({ model: "synthetic", prompt: "normal", options: { numPredict: NORMAL } });
        c.on("data", (d: { done: boolean }) => {
          n++;
          done ||= d.done;
        });
        c.on("error", reject);
        c.on("end", () => resolve({ n, done }));
      });
      expect(normal).toEqual({ n: NORMAL + 1, done: true });
      for (const o of await Promise.all(outcomes))
        expect(o).toEqual({ done: false, code: grpc.status.RESOURCE_EXHAUSTED });
      await until(async () => (await budget(g)).held === 0, 30_000);
    },
    SLOW_TEST,
  );

  it(
    "MCP (modelwire's client): a connection whose streams are unread fails them with the coded error, reason write_budget; another connection is served in full; held bytes back to 0",
    async () => {
      const g = await start();
      // A client that reads nothing sees no frame from the server either: with the default heartbeat (5 s) its own
      // dead-peer check closes the connection after 10 s, before a loaded machine fills the backlog. A long one here.
      const slowClient = createMcpClient({ url: url(g, "mcp-tcp"), poolSize: 1, heartbeatMs: 120_000 });
      const normalClient = createMcpClient({ url: url(g, "mcp-tcp"), poolSize: 1 });
      cleanups.push(
        () => void slowClient.close(),
        () => void normalClient.close(),
      );
      const its = Array.from({ length: SLOW }, (_, i) =>
        slowClient
          .generate(
            create(GenerateRequestSchema, { model: "synthetic", prompt: `slow ${i}`, options: { numPredict: LONG } }),
          )
          [Symbol.asyncIterator](),
      );
      for (const it of its) expect((await it.next()).done).toBe(false);
      await until(async () => (await budget(g)).cut >= 1, 60_000);
      let n = 0;
      let done = false;
      for await (const c of normalClient.generate(
        create(GenerateRequestSchema, { model: "synthetic", prompt: "normal", options: { numPredict: NORMAL } }),
      )) {
        n++;
        done ||= c.done;
      }
      expect({ n, done }).toEqual({ n: NORMAL + 1, done: true });
      const outcomes = await Promise.all(its.map(readOutcome));
      for (const { sawDone, error } of outcomes) {
        expect(sawDone).toBe(false);
        // A connection-level ERROR fails the client's streams with UNAVAILABLE, the server's code and reason kept.
        expect(error?.code).toBe(Code.Unavailable);
        expect(error?.metadata).toMatchObject({ reason: "write_budget", code: String(Code.ResourceExhausted) });
        expect(error?.rawMessage).toMatch(MESSAGE);
      }
      await until(async () => (await budget(g)).held === 0, 30_000);
    },
    SLOW_TEST,
  );
});
