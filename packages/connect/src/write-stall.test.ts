import * as grpc from "@grpc/grpc-js";
import { createSyntheticEngine } from "@modelwire/engine";
import { until } from "@modelwire/test-kit";
import { describe, expect, it } from "vitest";
import { loadInferenceServiceDefinition } from "./grpc-js/index.js";
import { createConnectServer } from "./server.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const cleanup = cleanupAfterEach();

describe("a client that stops reading (write-stall timeout)", () => {
  it.each([true, false])(
    "stock grpc-js, paused mid-stream: the stream is reset, the engine slot freed, and the client gets RESOURCE_EXHAUSTED, never a clean end (fast streaming %s)",
    async (fastStreaming) => {
      const server = createConnectServer({
        engine: createSyntheticEngine({}),
        fastStreaming,
        writeStallTimeoutMs: 400,
      });
      cleanup.push(() => server.close({ graceMs: 100 }));
      const url = (await server.listen())[0].url;
      const Ctor = grpc.makeGenericClientConstructor(loadInferenceServiceDefinition(), "InferenceService");
      const stub: any = new Ctor(new URL(url).host, grpc.credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
      });
      cleanup.push(() => stub.close());
      // A second stream on the same HTTP/2 session keeps being read: only the paused one is cut.
      const call: grpc.ClientReadableStream<{ done: boolean }> = stub.Generate({
        model: "synthetic",
        prompt: "stall",
        options: { numPredict: 1_000_000 },
      });
      const outcome = new Promise<{ chunks: number; done: boolean; error?: grpc.ServiceError }>((resolve) => {
        let chunks = 0;
        let done = false;
        call.on("data", (d: { done: boolean }) => {
          chunks++;
          done ||= d.done;
          if (chunks === 1) call.pause();
        });
        call.on("error", (error: grpc.ServiceError) => resolve({ chunks, done, error }));
        call.on("end", () => resolve({ chunks, done }));
      });
      await until(() => server.stats().stalled === 1, 60_000);
      await until(() => server.stats().inFlight === 0, 10_000);
      const other = await new Promise<{ n: number; done: boolean }>((resolve, reject) => {
        let n = 0;
        let done = false;
        const c = stub.Generate({ model: "synthetic", prompt: "reader", options: { numPredict: 2000 } });
        c.on("data", (d: { done: boolean }) => {
          n++;
          done ||= d.done;
        });
        c.on("error", reject);
        c.on("end", () => resolve({ n, done }));
      });
      expect(other.done).toBe(true);
      call.resume();
      const r = await outcome;
      expect(r.done).toBe(false);
      expect(r.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    },
    120_000,
  );
});
