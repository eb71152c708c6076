import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GenerateRequestSchema, type ProtocolServer } from "@modelwire/core";
import { reflectionV1 } from "@modelwire/core/grpc";
import { createSyntheticEngine } from "@modelwire/engine";
import { describe, expect, it } from "vitest";
import { createConnectServer, SERVED_SERVICES } from "./server.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const cleanup = cleanupAfterEach();
const run = promisify(execFile);
/** The stock `buf` CLI (the @bufbuild/buf dev dependency). */
const BUF = createRequire(import.meta.url).resolve("@bufbuild/buf/bin/buf");

async function buf(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(BUF, ["curl", "--timeout", "20s", ...args], { timeout: 30_000 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return { stdout: err.stdout ?? "", stderr: err.stderr ?? "", code: err.code ?? 1 };
  }
}

async function start(authToken?: string) {
  const engine = createSyntheticEngine({ tokens: 5 });
  const server: ProtocolServer = createConnectServer({ engine, authToken });
  cleanup.push(() => server.close({ graceMs: 100 }));
  return { engine, url: (await server.listen())[0].url };
}

const SERVICES = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
  "modelwire.v1.InferenceService",
];

describe("server reflection, with the stock buf curl and no --schema", () => {
  it("lists every service the port serves, over v1 and v1alpha, on each protocol", async () => {
    expect(SERVED_SERVICES.map((s) => s.typeName).sort()).toEqual(SERVICES);
    const { url } = await start();
    for (const reflect of ["grpc-v1", "grpc-v1alpha"]) {
      for (const protocol of ["grpc", "connect", "grpcweb"]) {
        const r = await buf([
          "--http2-prior-knowledge",
          "--protocol",
          protocol,
          "--reflect-protocol",
          reflect,
          "--list-services",
          url,
        ]);
        expect(r.stderr, `${reflect} ${protocol}`).toBe("");
        expect(r.stdout.trim().split("\n").sort(), `${reflect} ${protocol}`).toEqual(SERVICES);
      }
    }
    const methods = await buf(["--http2-prior-knowledge", "--list-methods", url]);
    expect(methods.stdout).toContain("modelwire.v1.InferenceService/Generate");
    expect(methods.stdout).toContain("grpc.health.v1.Health/Watch");
  });

  it("discovers Generate and streams it, each token as the engine planned it", async () => {
    const { engine, url } = await start();
    const request = { model: "synthetic", prompt: "reflected" };
    const expected = engine.expectedGenerate(create(GenerateRequestSchema, request));
    for (const reflect of ["grpc-v1", "grpc-v1alpha"]) {
      const r = await buf([
        "--http2-prior-knowledge",
        "--protocol",
        "grpc",
        "--reflect-protocol",
        reflect,
        "--data",
        JSON.stringify(request),
        `${url}/modelwire.v1.InferenceService/Generate`,
      ]);
      expect(r.stderr, reflect).toBe("");
      expect(r.code).toBe(0);
      // buf curl prints one JSON document per streamed message.
      const docs = r.stdout
        .split(/\n(?=\{)/)
        .filter((d) => d.trim() !== "")
        .map((d) => JSON.parse(d) as { response?: string; done?: boolean });
      expect(docs.filter((d) => !d.done).map((d) => d.response ?? "")).toEqual(expected);
      expect(docs.at(-1)?.done).toBe(true);
    }
    // A unary call and the health service through reflection too.
    const health = await buf(["--http2-prior-knowledge", "--protocol", "grpc", `${url}/grpc.health.v1.Health/Check`]);
    expect(JSON.parse(health.stdout)).toEqual({ status: "SERVING" });
  });

  it("requires the bearer token for reflection when one is set", async () => {
    const { url } = await start("s3cret");
    const anon = await buf(["--http2-prior-knowledge", "--protocol", "grpc", "--list-services", url]);
    expect(anon.code).not.toBe(0);
    expect(anon.stderr).toMatch(/not authenticated|unauthenticated/i);
    const ok = await buf([
      "--http2-prior-knowledge",
      "--protocol",
      "grpc",
      "--reflect-header",
      "authorization: Bearer s3cret",
      "--list-services",
      url,
    ]);
    expect(ok.stdout.trim().split("\n").sort()).toEqual(SERVICES);
  });
});

describe("server reflection answers", () => {
  it("files with their imports once per stream, symbols of every kind, and coded errors for unknown names", async () => {
    const { url } = await start();
    const client = createClient(reflectionV1.ServerReflection, createGrpcTransport({ baseUrl: url }));
    const questions: reflectionV1.ServerReflectionRequest["messageRequest"][] = [
      { case: "fileContainingSymbol", value: "modelwire.v1.InferenceService" },
      { case: "fileContainingSymbol", value: "modelwire.v1.InferenceService.Generate" },
      { case: "fileContainingSymbol", value: "modelwire.v1.GenerateRequest" },
      { case: "fileByFilename", value: "grpc/health/v1/health.proto" },
      { case: "fileContainingSymbol", value: "grpc.health.v1.HealthCheckResponse.ServingStatus" },
      { case: "fileByFilename", value: "no/such.proto" },
      { case: "fileContainingSymbol", value: "no.Such" },
      { case: "allExtensionNumbersOfType", value: "modelwire.v1.GenerateRequest" },
      { case: "allExtensionNumbersOfType", value: "no.Such" },
      {
        case: "fileContainingExtension",
        value: create(reflectionV1.ExtensionRequestSchema, {
          containingType: "modelwire.v1.GenerateRequest",
          extensionNumber: 100,
        }),
      },
      { case: undefined },
    ];
    async function* requests() {
      for (const q of questions) yield { host: "h", messageRequest: q };
    }
    const answers: reflectionV1.ServerReflectionResponse[] = [];
    for await (const a of client.serverReflectionInfo(requests())) answers.push(a);
    expect(answers).toHaveLength(questions.length);
    const files = (i: number) => {
      const r = answers[i].messageResponse;
      expect(r.case, `answer ${i}`).toBe("fileDescriptorResponse");
      return r.case === "fileDescriptorResponse"
        ? r.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name)
        : [];
    };
    const first = files(0);
    expect(first[0]).toBe("modelwire/v1/service.proto");
    expect(first).toContain("modelwire/v1/generate.proto");
    expect(first).toContain("google/protobuf/timestamp.proto");
    expect(new Set(first).size).toBe(first.length);
    // Asked again on the same stream: the file itself, its imports were sent already.
    expect(files(1)).toEqual(["modelwire/v1/service.proto"]);
    expect(files(2)).toEqual(["modelwire/v1/generate.proto"]);
    expect(files(3)).toEqual(["grpc/health/v1/health.proto"]);
    expect(files(4)).toEqual(["grpc/health/v1/health.proto"]);
    for (const i of [5, 6, 8, 9]) {
      expect(answers[i].messageResponse, `answer ${i}`).toMatchObject({
        case: "errorResponse",
        value: { errorCode: 5 },
      });
    }
    expect(answers[7].messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "modelwire.v1.GenerateRequest", extensionNumber: [] },
    });
    expect(answers[10].messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: 3 } });
    expect(answers.every((a) => a.validHost === "h")).toBe(true);
    expect(answers[0].originalRequest?.messageRequest).toEqual(questions[0]);
  });
});
