import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  ChatRequestSchema,
  Code,
  GenerateRequestSchema,
  GenerateResponseSchema,
  type InferenceClient,
  ModelwireError,
  type ProtocolServer,
} from "@modelwire/core";
import { createStreamVerifier, createSyntheticEngine, type Engine } from "@modelwire/engine";
import { plateau, until } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import { createConnectClient } from "./client.js";
import { createGrpcJsClient, createGrpcJsServer, loadInferenceServiceDefinition } from "./grpc-js/index.js";
import { createConnectServer } from "./server.js";
import { cleanupAfterEach, failure } from "./test-support/harness.js";

const cleanup = cleanupAfterEach();
const GENERATE = { model: "synthetic", prompt: "interop" };

/** A dynamic stub: grpc-js builds its methods at run time, so it has no static type. */
type Stub = any;
function stockClient(url: string): Stub {
  const Ctor = grpc.makeGenericClientConstructor(loadInferenceServiceDefinition(), "InferenceService");
  const stub = new Ctor(new URL(url).host, grpc.credentials.createInsecure());
  cleanup.push(() => stub.close());
  return stub;
}
function unaryCall(stub: Stub, method: string, req: object, options: grpc.CallOptions = {}): Promise<unknown> {
  return new Promise((resolve, reject) =>
    stub[method](req, new grpc.Metadata(), options, (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))),
  );
}
function streamCall(
  call: grpc.ClientReadableStream<{ response: string; done: boolean }>,
): Promise<{ chunks: Array<{ response: string; done: boolean }>; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const chunks: Array<{ response: string; done: boolean }> = [];
    call.on("data", (d) => chunks.push(d));
    call.on("error", (error: grpc.ServiceError) => resolve({ chunks, error }));
    call.on("end", () => resolve({ chunks }));
  });
}

describe("a stock grpc-js client calls our server", () => {
  it.each([true, false])(
    "unary calls, streaming Generate token by token, error codes and messages (fast streaming %s)",
    async (fastStreaming) => {
      const engine = createSyntheticEngine({ tokens: 12 });
      const server: ProtocolServer = createConnectServer({ engine, fastStreaming });
      cleanup.push(() => server.close({ graceMs: 100 }));
      const stub = stockClient((await server.listen())[0].url);
      expect(await unaryCall(stub, "Version", {})).toEqual({ version: engine.config.version });
      const list = (await unaryCall(stub, "ListModels", {})) as { models: Array<{ name: string; size: string }> };
      expect(list.models.map((m) => m.name)).toContain("synthetic:latest");
      expect(Number(list.models[0].size)).toBeGreaterThan(0); // int64 as a string, as proto-loader was told
      const { chunks, error } = await streamCall(stub.Generate(GENERATE));
      expect(error).toBeUndefined();
      const verifier = createStreamVerifier(engine.expectedGenerate(create(GenerateRequestSchema, GENERATE)));
      for (const c of chunks) if (!c.done) verifier.push(c.response);
      expect(verifier.report()).toMatchObject({ ok: true, received: 12 });
      expect(chunks.at(-1)).toMatchObject({ done: true, doneReason: "stop" });

      const notFound = (await unaryCall(stub, "ShowModel", { model: "nope:x" }).catch((e) => e)) as grpc.ServiceError;
      expect(notFound.code).toBe(grpc.status.NOT_FOUND);
      expect(notFound.details).toBe("model 'nope:x' not found");
      const streamErr = await streamCall(stub.Generate({ model: "synthetic-embed", prompt: "x" }));
      expect(streamErr.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    },
  );

  it.each([true, false])(
    "deadlines and cancel: DEADLINE_EXCEEDED / CANCELLED, and the engine stops (fast streaming %s)",
    async (fastStreaming) => {
      const engine = createSyntheticEngine({ tokens: 100, interTokenMs: 50 });
      const server = createConnectServer({ engine, fastStreaming });
      cleanup.push(() => server.close({ graceMs: 100 }));
      const stub = stockClient((await server.listen())[0].url);
      const timed = await streamCall(stub.Generate(GENERATE, new grpc.Metadata(), { deadline: Date.now() + 300 }));
      expect(timed.error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      expect(timed.chunks.length).toBeGreaterThan(0);
      await until(() => engine.stats().inFlight === 0);
      expect(engine.stats().cancelled).toBe(1);

      const call = stub.Generate(GENERATE);
      call.once("data", () => call.cancel());
      const cancelled = await streamCall(call);
      expect(cancelled.error?.code).toBe(grpc.status.CANCELLED);
      await until(() => engine.stats().inFlight === 0);
      expect(engine.stats().cancelled).toBe(2);
    },
  );
});

describe("a stock grpc-js client streams through our server's fast path", () => {
  it("Generate and Chat token by token, many streams at once, and a paused reader holds the engine back", async () => {
    const engine = createSyntheticEngine({ tokens: 40 });
    const server = createConnectServer({ engine, fastStreaming: true });
    cleanup.push(() => server.close({ graceMs: 100 }));
    const stub = stockClient((await server.listen())[0].url);
    const prompts = Array.from({ length: 16 }, (_, i) => ({ model: "synthetic", prompt: `p${i}` }));
    const results = await Promise.all(prompts.map((p) => streamCall(stub.Generate(p))));
    for (const [i, r] of results.entries()) {
      expect(r.error).toBeUndefined();
      const verifier = createStreamVerifier(engine.expectedGenerate(create(GenerateRequestSchema, prompts[i])));
      for (const c of r.chunks) if (!c.done) verifier.push(c.response);
      expect(verifier.report()).toMatchObject({ ok: true, received: 40 });
    }
    const chatReq = { model: "synthetic", messages: [{ role: "user", content: "hello" }] };
    const chat = await new Promise<Array<{ message?: { content: string }; done: boolean }>>((resolve, reject) => {
      const out: Array<{ message?: { content: string }; done: boolean }> = [];
      const call = stub.Chat(chatReq);
      call.on("data", (d: (typeof out)[number]) => out.push(d));
      call.on("error", reject);
      call.on("end", () => resolve(out));
    });
    const chatVerifier = createStreamVerifier(engine.expectedChat(create(ChatRequestSchema, chatReq)));
    for (const c of chat) if (!c.done) chatVerifier.push(c.message?.content ?? "");
    expect(chatVerifier.report()).toMatchObject({ ok: true, received: 40 });
    expect(chat.at(-1)?.done).toBe(true);

    const big = createSyntheticEngine({ tokens: 30_000 });
    const bigServer = createConnectServer({ engine: big });
    cleanup.push(() => bigServer.close({ graceMs: 100 }));
    const bigStub = stockClient((await bigServer.listen())[0].url);
    const call = bigStub.Generate(GENERATE);
    const verifier = createStreamVerifier(big.expectedGenerate(create(GenerateRequestSchema, GENERATE)));
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (d: { response: string; done: boolean }) => {
        if (!d.done) verifier.push(d.response);
      });
      call.on("error", reject);
      call.on("end", resolve);
    });
    call.pause();
    // The paused stock client holds our server back: production stops well short of the 30,000 tokens.
    expect(await plateau(() => big.stats().tokens)).toBeLessThan(30_000);
    expect(big.stats().inFlight).toBe(1);
    call.resume();
    await done;
    expect(verifier.report()).toMatchObject({ ok: true, received: 30_000 });
  });

  it("an error after messages began reaches grpc-js with its exact message", async () => {
    const base = createSyntheticEngine();
    const engine: Engine = {
      ...base,
      async *generate() {
        yield create(GenerateResponseSchema, { model: "synthetic", response: "one" });
        throw new ModelwireError("backend 'a:b' lost at 50%", Code.Unavailable);
      },
    };
    const server = createConnectServer({ engine, fastStreaming: true });
    cleanup.push(() => server.close({ graceMs: 100 }));
    const stub = stockClient((await server.listen())[0].url);
    const r = await streamCall(stub.Generate(GENERATE));
    expect(r.chunks.map((c) => c.response)).toEqual(["one"]);
    expect(r.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(r.error?.details).toBe("backend 'a:b' lost at 50%");
  });
});

describe("our client calls a stock grpc-js server", () => {
  async function stockServer() {
    const engine = createSyntheticEngine({ tokens: 9 });
    const seen = { cancelled: 0, trace: [] as string[], manyWrites: 0, manyWritten: false };
    const server = new grpc.Server();
    server.addService(loadInferenceServiceDefinition(), {
      Version: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        seen.trace.push(String(call.metadata.get("x-trace")[0] ?? ""));
        cb(null, { version: "stock-grpc-js" });
      },
      ShowModel: (call: grpc.ServerUnaryCall<{ model: string }, unknown>, cb: grpc.sendUnaryData<unknown>) =>
        cb({ code: grpc.status.NOT_FOUND, details: `model '${call.request.model}' not found` }),
      // Never answers: only a deadline or a cancel ends it.
      ListRunning: (call: grpc.ServerUnaryCall<unknown, unknown>) => call.on("cancelled", () => seen.cancelled++),
      Generate: (call: grpc.ServerWritableStream<{ model: string; prompt: string }, unknown>) => {
        if (call.request.prompt === "fail") {
          call.write({ model: "synthetic", response: "one" });
          call.write({ model: "synthetic", response: "two" });
          call.emit("error", { code: grpc.status.RESOURCE_EXHAUSTED, details: "quota 'q:1' at 100%" });
          return;
        }
        if (call.request.prompt === "many") {
          // 20,000 tokens written as grpc-js allows (write() false → wait for 'drain').
          const tokens = engine.expectedGenerate(create(GenerateRequestSchema, call.request));
          let i = 0;
          const pump = () => {
            while (i < tokens.length) {
              seen.manyWrites++;
              if (!call.write({ model: "synthetic", response: tokens[i++] })) return void call.once("drain", pump);
            }
            seen.manyWritten = true;
            call.write({ model: "synthetic", done: true, doneReason: "stop" });
            call.end();
          };
          pump();
          return;
        }
        if (call.request.prompt === "hang") {
          call.write({ model: "synthetic", response: "first" });
          call.on("cancelled", () => seen.cancelled++);
          return;
        }
        const tokens = engine.expectedGenerate(create(GenerateRequestSchema, call.request));
        for (const t of tokens) call.write({ model: "synthetic", response: t });
        call.write({ model: "synthetic", done: true, doneReason: "stop", metrics: { evalCount: tokens.length } });
        call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    cleanup.push(() => new Promise<void>((r) => server.tryShutdown(() => r())));
    return { url: `http://127.0.0.1:${port}`, engine, seen };
  }

  it.each([
    [true, true],
    [true, false],
    [false, true],
    [false, false],
  ])(
    "unary, streaming, codes, deadline and cancel (fast unary %s, fast streaming %s)",
    async (fastUnary, fastStreaming) => {
      const { url, engine, seen } = await stockServer();
      const c: InferenceClient = createConnectClient({ baseUrl: url, fastUnary, fastStreaming, retry: false });
      cleanup.push(() => c.close());
      expect((await c.version({ metadata: { "X-Trace": "t-1" } })).version).toBe("stock-grpc-js");
      expect(seen.trace).toEqual(["t-1"]);
      const verifier = createStreamVerifier(engine.expectedGenerate(create(GenerateRequestSchema, GENERATE)));
      let last: { done: boolean; metrics?: { evalCount: number } } | undefined;
      for await (const chunk of c.generate(GENERATE)) {
        if (!chunk.done) verifier.push(chunk.response);
        last = chunk;
      }
      expect(verifier.report()).toMatchObject({ ok: true, received: 9 });
      expect(last).toMatchObject({ done: true, metrics: { evalCount: 9 } });

      const nf = await failure(c.show({ model: "nope:x" }));
      expect(nf.code).toBe(Code.NotFound);
      expect(nf.rawMessage).toBe("model 'nope:x' not found");
      expect((await failure(c.embed({ model: "synthetic-embed", input: ["a"] }))).code).toBe(Code.Unimplemented);

      expect((await failure(c.running({ timeoutMs: 300 }))).code).toBe(Code.DeadlineExceeded);
      await until(() => seen.cancelled === 1);
      const ac = new AbortController();
      const err = await failure(async () => {
        for await (const _ of c.generate({ model: "synthetic", prompt: "hang" }, { signal: ac.signal })) ac.abort();
      });
      expect(err.code).toBe(Code.Canceled);
      await until(() => seen.cancelled === 2);
    },
  );

  it("streams through our fast path: an error after messages, a stream deadline, a slow reader", async () => {
    const { url, engine, seen } = await stockServer();
    const c = createConnectClient({
      baseUrl: url,
      fastStreaming: true,
      retry: { maxAttempts: 3, initialBackoffMs: 5 },
    });
    cleanup.push(() => c.close());
    const got: string[] = [];
    const err = await failure(async () => {
      for await (const chunk of c.generate({ model: "synthetic", prompt: "fail" })) got.push(chunk.response);
    });
    expect(got).toEqual(["one", "two"]);
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.rawMessage).toBe("quota 'q:1' at 100%");

    let received = 0;
    const late = await failure(async () => {
      for await (const _ of c.generate({ model: "synthetic", prompt: "hang" }, { timeoutMs: 300 })) received++;
    });
    expect(late.code).toBe(Code.DeadlineExceeded);
    expect(received).toBe(1); // no retry once a message arrived
    await until(() => seen.cancelled === 1);

    const manyReq = { model: "synthetic", prompt: "many", options: { numPredict: 20_000 } };
    const verifier = createStreamVerifier(engine.expectedGenerate(create(GenerateRequestSchema, manyReq)));
    const it = c.generate(manyReq)[Symbol.asyncIterator]();
    const first = await it.next();
    verifier.push(first.value.response);
    // Our paused reader holds the stock server back: its writes stop before the last token.
    expect(await plateau(() => seen.manyWrites)).toBeLessThan(20_000);
    expect(seen.manyWritten).toBe(false);
    for (let r = await it.next(); !r.done; r = await it.next()) if (!r.value.done) verifier.push(r.value.response);
    expect(verifier.report()).toMatchObject({ ok: true, received: 20_000 });
  });
});

describe("the grpc-js reference pair", () => {
  it("serves and calls the service like the Connect pair", async () => {
    const engine = createSyntheticEngine({ tokens: 7, interTokenMs: 0 });
    const server = createGrpcJsServer({ engine });
    cleanup.push(() => server.close({ graceMs: 100 }));
    const [address] = await server.listen();
    const c = createGrpcJsClient({ address: address.url });
    cleanup.push(() => c.close());
    expect((await c.version()).version).toBe(engine.config.version);
    const verifier = createStreamVerifier(engine.expectedGenerate(create(GenerateRequestSchema, GENERATE)));
    for await (const chunk of c.generate(GENERATE)) if (!chunk.done) verifier.push(chunk.response);
    expect(verifier.report().ok).toBe(true);
    expect((await failure(c.show({ model: "nope:x" }))).code).toBe(Code.NotFound);
    // Our Connect client against the grpc-js reference server, and the reference client against our server.
    const ours = createConnectClient({ baseUrl: address.url, retry: false });
    cleanup.push(() => ours.close());
    expect((await ours.embed({ model: "synthetic-embed", input: ["x"] })).embeddings[0].values).toHaveLength(384);
    const slow = createSyntheticEngine({ tokens: 100, interTokenMs: 50 });
    const connectServer = createConnectServer({ engine: slow });
    cleanup.push(() => connectServer.close({ graceMs: 100 }));
    const ref = createGrpcJsClient({ address: (await connectServer.listen())[0].url });
    cleanup.push(() => ref.close());
    const e = await failure(async () => {
      for await (const _ of ref.generate(GENERATE, { timeoutMs: 300 }));
    });
    expect(e.code).toBe(Code.DeadlineExceeded);
    // One channel, one connection for every call above; the watch on the channel counted it.
    expect(c.stats()).toMatchObject({ transport: "grpc-js", open: 1, opened: 1, reconnects: 0 });
  });
});

describe("the grpc-js reference server under backpressure", () => {
  it("streams a long reply to a slow reader without piling up listeners", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    cleanup.push(() => void process.off("warning", onWarning));
    const engine = createSyntheticEngine({ tokens: 3_000 });
    const server = createGrpcJsServer({ engine });
    cleanup.push(() => server.close({ graceMs: 100 }));
    const c = createGrpcJsClient({ address: (await server.listen())[0].url });
    cleanup.push(() => c.close());
    const verifier = createStreamVerifier(engine.expectedGenerate(create(GenerateRequestSchema, GENERATE)));
    let n = 0;
    for await (const chunk of c.generate(GENERATE)) {
      if (!chunk.done) verifier.push(chunk.response);
      if (++n % 500 === 0) await new Promise((r) => setTimeout(r, 20)); // let the server hit backpressure
    }
    expect(verifier.report()).toMatchObject({ ok: true, received: 3_000 });
    await new Promise((r) => setImmediate(r));
    expect(warnings).not.toContain("MaxListenersExceededWarning");
  });
});
