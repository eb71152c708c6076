import { create, toBinary } from "@bufbuild/protobuf";
import {
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
import { type ConnectClientOptions, createConnectClient } from "./client.js";
import { metadataFromStatusDetails } from "./error-details.js";
import { envelope } from "./grpc-wire.js";
import { type ConnectServerOptions, createConnectServer } from "./server.js";
import { cleanupAfterEach, failure } from "./test-support/harness.js";
import { recordingObserver } from "./test-support/observer.js";
import { rawH2Request } from "./test-support/raw-h2.js";

const cleanup = cleanupAfterEach();
async function serve(options: ConnectServerOptions) {
  const server: ProtocolServer = createConnectServer(options);
  cleanup.push(() => server.close({ graceMs: 200 }));
  return { server, url: (await server.listen())[0].url };
}
function client(options: ConnectClientOptions): InferenceClient {
  const c = createConnectClient({ retry: false, ...options });
  cleanup.push(() => c.close());
  return c;
}
const GENERATE = { model: "synthetic", prompt: "fast streaming" };
const LOST = "lost: 50% of 'a:b'";

/** An engine whose Generate yields two tokens, then fails with UNAVAILABLE (and metadata). */
function failingMidStream(): Engine & { closed: () => boolean } {
  const base = createSyntheticEngine();
  let closed = false;
  return {
    ...base,
    closed: () => closed,
    async *generate() {
      try {
        yield create(GenerateResponseSchema, { model: "synthetic", response: "one" });
        yield create(GenerateResponseSchema, { model: "synthetic", response: "two" });
        throw new ModelwireError(LOST, Code.Unavailable, { backend: "b-1" });
      } finally {
        closed = true;
      }
    },
  };
}

describe("server-streaming fast path", () => {
  it("sends an error after messages began in the trailers, grpc-message encoded as the spec says", async () => {
    const { url } = await serve({ engine: failingMidStream() });
    const body = envelope(toBinary(GenerateRequestSchema, create(GenerateRequestSchema, GENERATE)));
    const res = await rawH2Request(url, "/modelwire.v1.InferenceService/Generate", body);
    expect(res.status).toBe(200);
    expect(res.headers["grpc-status"]).toBeUndefined(); // not trailers-only: messages came first
    expect(res.trailers["grpc-status"]).toBe(String(Code.Unavailable));
    // Only `%` and non-printable bytes are encoded (connect-node's path would send `lost%3A%2050%25%20of...`).
    expect(res.trailers["grpc-message"]).toBe("lost: 50%25 of 'a:b'");
    expect(metadataFromStatusDetails(String(res.trailers["grpc-status-details-bin"]))).toEqual({ backend: "b-1" });
    // Two enveloped messages in the body.
    expect(res.body.readUInt32BE(1) + 5).toBeLessThan(res.body.length);
  });

  it.each([true, false])(
    "our client gets the messages, then the error with code, message and metadata (client fast %s)",
    async (fast) => {
      const engine = failingMidStream();
      const { url } = await serve({ engine });
      const c = client({ baseUrl: url, fastStreaming: fast, retry: { maxAttempts: 3, initialBackoffMs: 5 } });
      const got: string[] = [];
      const err = await failure(async () => {
        for await (const chunk of c.generate(GENERATE)) got.push(chunk.response);
      });
      expect(got).toEqual(["one", "two"]);
      expect(err.code).toBe(Code.Unavailable);
      expect(err.rawMessage).toBe(LOST);
      expect(err.metadata).toEqual({ backend: "b-1" });
      expect(engine.closed()).toBe(true);
    },
  );

  it("respects flow control: a reader that stops holds the engine back, then gets every token", async () => {
    const tokens = 30_000;
    const engine = createSyntheticEngine({ tokens });
    const { url, server } = await serve({ engine });
    const c = client({ baseUrl: url });
    const verifier = createStreamVerifier(engine.expectedGenerate(create(GenerateRequestSchema, GENERATE)));
    const it = c.generate(GENERATE)[Symbol.asyncIterator]();
    const first = await it.next();
    verifier.push(first.value.response);
    // Windows and buffers hold a few thousand tiny messages at most: production stops, the engine waits on 'drain'.
    expect(await plateau(() => engine.stats().tokens)).toBeLessThan(tokens);
    expect(server.stats().inFlight).toBe(1);
    let final = 0;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      if (r.value.done) final++;
      else verifier.push(r.value.response);
    }
    expect(final).toBe(1);
    expect(verifier.report()).toMatchObject({ ok: true, received: tokens });
  });

  it("a consumer that stops early resets the stream and the engine stops", async () => {
    const engine = createSyntheticEngine({ tokens: 500, interTokenMs: 20 });
    const { url, server } = await serve({ engine });
    const c = client({ baseUrl: url });
    for await (const chunk of c.generate(GENERATE)) if (!chunk.done) break;
    await until(() => engine.stats().inFlight === 0 && server.stats().inFlight === 0);
    expect(engine.stats().cancelled).toBe(1);
    expect(c.stats().active).toBe(0);
  });

  it("a message over the server's writeMaxBytes or the client's readMaxBytes fails with RESOURCE_EXHAUSTED", async () => {
    const { url } = await serve({ engine: createSyntheticEngine({ tokens: 3 }), writeMaxBytes: 8 });
    expect(
      (
        await failure(async () => {
          for await (const _ of client({ baseUrl: url }).generate(GENERATE));
        })
      ).code,
    ).toBe(Code.ResourceExhausted);
    const { url: url2 } = await serve({ engine: createSyntheticEngine({ tokens: 3 }) });
    const small = client({ baseUrl: url2, readMaxBytes: 8 });
    expect(
      (
        await failure(async () => {
          for await (const _ of small.generate(GENERATE));
        })
      ).code,
    ).toBe(Code.ResourceExhausted);
  });

  it("reports streams to the observer like the connect-node path", async () => {
    const { observer, calls } = recordingObserver();
    for (const fast of [true, false]) {
      const { url, server } = await serve({
        engine: createSyntheticEngine({ tokens: 5 }),
        observer,
        fastStreaming: fast,
      });
      const c = client({ baseUrl: url });
      for await (const _ of c.generate(GENERATE));
      for await (const _ of c.chat({ model: "synthetic", messages: [{ role: "user", content: "hi" }] }));
      await failure(async () => {
        for await (const _ of c.generate({ model: "nope:x", prompt: "x" }));
      });
      expect(server.stats().inFlight).toBe(0);
    }
    const expected = [
      { protocol: "grpc", method: "generate", chunks: 5, error: undefined },
      { protocol: "grpc", method: "chat", chunks: 5, error: undefined },
      { protocol: "grpc", method: "generate", chunks: 0, error: Code.NotFound },
    ];
    expect(calls).toEqual([...expected, ...expected]);
  });
});
