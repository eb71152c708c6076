import { create } from "@bufbuild/protobuf";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import {
  Code,
  ErrorInfoSchema,
  GenerateResponseSchema,
  InferenceService,
  ModelwireError,
  type ProtocolServer,
} from "@modelwire/core";
import { createSyntheticEngine, type Engine } from "@modelwire/engine";
// The rich error model as nice-grpc implements it (its own generated google.rpc codecs): an independent reader.
import { ErrorInfo } from "nice-grpc-error-details";
import { Status } from "nice-grpc-error-details/lib/proto/google/rpc/status.js";
import { describe, expect, it } from "vitest";
import { createConnectClient } from "./client.js";
import { loadInferenceServiceDefinition } from "./grpc-js/index.js";
import { createConnectServer } from "./server.js";
import { cleanupAfterEach, failure } from "./test-support/harness.js";

const cleanup = cleanupAfterEach();

/** Metadata keys in several cases: they must come back exactly as set (HTTP/2 header names would be lower-cased). */
const METADATA = { modelName: "llama3:8b", httpStatus: "404", "X-Upstream": "b 1", field: "options.top_p" };
const fail = () => new ModelwireError("model 'llama3:8b' not found", Code.NotFound, { ...METADATA });

/** A synthetic engine whose Version fails, and whose Generate fails after one token, with {@link METADATA}. */
function failingEngine(): Engine {
  const engine = createSyntheticEngine();
  return {
    ...engine,
    version: async () => {
      throw fail();
    },
    async *generate() {
      yield create(GenerateResponseSchema, { model: "m", response: "one" });
      throw fail();
    },
  };
}

async function serve(fast: boolean): Promise<string> {
  const server: ProtocolServer = createConnectServer({
    engine: failingEngine(),
    fastUnary: fast,
    fastStreaming: fast,
  });
  cleanup.push(() => server.close({ graceMs: 100 }));
  return (await server.listen())[0].url;
}

/** Decodes `grpc-status-details-bin` with nice-grpc's codecs and checks the ErrorInfo modelwire promises. */
function expectRichStatus(bin: Buffer) {
  const status = Status.decode(bin);
  expect(status.code).toBe(Code.NotFound);
  expect(status.message).toBe("model 'llama3:8b' not found");
  expect(status.details.map((d) => d.typeUrl)).toEqual(["type.googleapis.com/google.rpc.ErrorInfo"]);
  const info = ErrorInfo.decode(status.details[0].value);
  expect(info.reason).toBe("NOT_FOUND");
  expect(info.domain).toBe("modelwire");
  expect(info.metadata).toEqual(METADATA);
}

describe.each([true, false])("error details from our server (server fast paths %s)", (fast) => {
  it("a stock grpc-js client reads google.rpc.Status with an ErrorInfo from grpc-status-details-bin", async () => {
    const url = await serve(fast);
    const Ctor = grpc.makeGenericClientConstructor(loadInferenceServiceDefinition(), "InferenceService");
    const stub: any = new Ctor(new URL(url).host, grpc.credentials.createInsecure());
    cleanup.push(() => stub.close());
    const unary = await new Promise<grpc.ServiceError>((resolve) =>
      stub.Version({}, (e: grpc.ServiceError) => resolve(e)),
    );
    expect(unary.code).toBe(grpc.status.NOT_FOUND);
    const bins = unary.metadata.get("grpc-status-details-bin");
    expect(bins).toHaveLength(1);
    expectRichStatus(bins[0] as Buffer);

    const streamed = await new Promise<{ chunks: number; error: grpc.ServiceError }>((resolve) => {
      let chunks = 0;
      const call = stub.Generate({ model: "m", prompt: "p" });
      call.on("data", () => chunks++);
      call.on("error", (error: grpc.ServiceError) => resolve({ chunks, error }));
    });
    expect(streamed.chunks).toBe(1);
    expectRichStatus(streamed.error.metadata.get("grpc-status-details-bin")[0] as Buffer);
  });

  it.each([
    ["grpc", createGrpcTransport],
    ["grpc-web", createGrpcWebTransport],
    ["connect", createConnectTransport],
  ] as const)("connect-node's %s client finds the ErrorInfo with ConnectError.findDetails", async (_name, make) => {
    const url = await serve(fast);
    const client = createClient(InferenceService, make({ baseUrl: url, httpVersion: "2" }));
    const err = await client.version({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    const [info, ...more] = (err as ConnectError).findDetails(ErrorInfoSchema);
    expect(more).toEqual([]);
    expect(info.reason).toBe("NOT_FOUND");
    expect(info.domain).toBe("modelwire");
    expect(info.metadata).toEqual(METADATA);
  });

  it.each([true, false])("our client gets the metadata keys as sent (client fast paths %s)", async (clientFast) => {
    const url = await serve(fast);
    const c = createConnectClient({ baseUrl: url, fastUnary: clientFast, fastStreaming: clientFast });
    cleanup.push(() => c.close());
    const unary = await failure(c.version());
    expect(unary.code).toBe(Code.NotFound);
    expect(unary.metadata).toEqual(METADATA);
    const got: string[] = [];
    const streamed = await failure(async () => {
      for await (const m of c.generate({ model: "m", prompt: "p" })) got.push(m.response);
    });
    expect(got).toEqual(["one"]);
    expect(streamed.metadata).toEqual(METADATA);
  });
});
