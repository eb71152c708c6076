import * as http2 from "node:http2";
import { connect as netConnect } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { createConnectClient } from "@modelwire/connect";
import { DataType, GenerateRequestSchema, type InferenceClient } from "@modelwire/core";
import { createOllamaClient } from "@modelwire/http";
import { createMcpClient } from "@modelwire/mcp";
import {
  createFrameDecoder,
  encodeFrame,
  encodeHello,
  encodeOpenFrame,
  type Frame,
  FrameType,
  Method,
} from "@modelwire/mcp-codec";
import { encodeInferenceRequest } from "@modelwire/mcp-codec/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedGenerate, runGenerate } from "./test-support/clients.js";
import { type SpawnedGateway, spawnGateway } from "./test-support/spawn-gateway.js";

// Defect 2 of issue 19: deadlines beyond Node's 2^31-1 ms timer limit expired at once (DEADLINE_EXCEEDED) and
// printed a TimeoutOverflowWarning, even with --quiet. Every wire, client and server, with such deadlines.

const KNOBS = { tokens: 6, interTokenMs: 20 };
const THIRTY_DAYS = 30 * 86_400_000;
const REQUEST = { model: "synthetic", prompt: "a very long deadline" };
let gw: SpawnedGateway;
const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);

beforeAll(async () => {
  process.on("warning", onWarning);
  gw = await spawnGateway([
    "--http-port=0",
    "--connect-port=0",
    "--mcp-port=0",
    "--admin-port=0",
    "--quiet",
    `--tokens=${KNOBS.tokens}`,
    `--inter-token-ms=${KNOBS.interTokenMs}`,
  ]);
});

afterAll(async () => {
  process.off("warning", onWarning);
  await gw?.kill();
});

const clients: Record<string, () => InferenceClient> = {
  "http (ollama client)": () => createOllamaClient({ host: gw.url("http"), retries: 0 }),
  "gRPC fast paths": () => createConnectClient({ baseUrl: gw.url("connect"), retry: false }),
  "gRPC through connect-node": () =>
    createConnectClient({ baseUrl: gw.url("connect"), retry: false, fastUnary: false, fastStreaming: false }),
  "Connect protocol": () => createConnectClient({ baseUrl: gw.url("connect"), protocol: "connect", retry: false }),
  "gRPC-Web": () => createConnectClient({ baseUrl: gw.url("connect"), protocol: "grpc-web", retry: false }),
  MCP: () => createMcpClient({ url: gw.url("mcp-tcp"), reconnect: false }),
};

describe("a 30-day client deadline", () => {
  for (const [name, make] of Object.entries(clients)) {
    it(`${name}: a stream and a unary call succeed`, async () => {
      const client = make();
      try {
        const r = await runGenerate(client, REQUEST, expectedGenerate(KNOBS, REQUEST), { timeoutMs: THIRTY_DAYS });
        expect(r.intact).toBe(true);
        expect((await client.version({ timeoutMs: THIRTY_DAYS })).version).not.toBe("");
      } finally {
        await client.close();
      }
    });
  }
});

/** One raw HTTP/2 call: response headers, trailers and the body's length. */
function h2Call(url: string, headers: http2.OutgoingHttpHeaders, body: Uint8Array) {
  return new Promise<{ head: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; bytes: number }>(
    (resolve, reject) => {
      const session = http2.connect(url);
      session.on("error", reject);
      const stream = session.request({ ":method": "POST", ...headers });
      let head: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      let bytes = 0;
      stream.on("response", (h) => (head = h));
      stream.on("trailers", (t) => (trailers = t));
      stream.on("data", (d: Buffer) => (bytes += d.length));
      stream.on("error", reject);
      stream.on("close", () => {
        session.close();
        resolve({ head, trailers, bytes });
      });
      stream.end(body);
    },
  );
}

const generateBytes = toBinary(GenerateRequestSchema, create(GenerateRequestSchema, REQUEST));
const enveloped = Buffer.concat([Buffer.from([0, 0, 0, 0, generateBytes.length]), generateBytes]);
const GENERATE_PATH = "/modelwire.v1.InferenceService/Generate";

describe("the longest deadline each wire's header can say", () => {
  it("gRPC fast path: grpc-timeout 99999999H (what our own encoder sends for long deadlines)", async () => {
    const r = await h2Call(
      gw.url("connect"),
      { ":path": GENERATE_PATH, "content-type": "application/grpc", te: "trailers", "grpc-timeout": "99999999H" },
      enveloped,
    );
    expect(r.trailers["grpc-status"]).toBe("0");
    expect(r.bytes).toBeGreaterThan(KNOBS.tokens * 5);
  });

  it("gRPC through connect-node (JSON codec): grpc-timeout 99999999H", async () => {
    const json = Buffer.from(JSON.stringify(REQUEST));
    const r = await h2Call(
      gw.url("connect"),
      {
        ":path": GENERATE_PATH,
        "content-type": "application/grpc+json",
        te: "trailers",
        "grpc-timeout": "99999999H",
      },
      Buffer.concat([Buffer.from([0, 0, 0, 0, json.length]), json]),
    );
    expect(r.trailers["grpc-status"]).toBe("0");
  });

  it("Connect protocol: connect-timeout-ms 9999999999", async () => {
    const r = await h2Call(
      gw.url("connect"),
      {
        ":path": "/modelwire.v1.InferenceService/Version",
        "content-type": "application/json",
        "connect-protocol-version": "1",
        "connect-timeout-ms": "9999999999",
      },
      Buffer.from("{}"),
    );
    expect(r.head[":status"]).toBe(200);
  });

  it("HTTP: x-modelwire-timeout-ms 999999999999", async () => {
    const res = await fetch(`${gw.url("http")}/api/generate`, {
      method: "POST",
      headers: { "x-modelwire-timeout-ms": "999999999999" },
      body: JSON.stringify({ ...REQUEST, stream: false }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { done: boolean }).done).toBe(true);
  });

  it("MCP: an OPEN deadline of 2^32-1 ms (49.7 days)", async () => {
    const port = Number(new URL(gw.url("mcp-tcp")).port);
    const socket = netConnect({ host: "127.0.0.1", port });
    const decoder = createFrameDecoder({ maxFrameSize: 1 << 22 });
    const frames: Frame[] = [];
    const ended = new Promise<Frame>((resolve) => {
      socket.on("data", (d) => {
        decoder.push(d);
        for (const f of decoder) {
          frames.push(f);
          if (f.streamId === 1 && (f.type === FrameType.End || f.type === FrameType.Error)) resolve(f);
        }
      });
    });
    const hello = encodeHello({
      minVersion: 1,
      maxVersion: 1,
      maxFrameSize: 1 << 20,
      maxStreams: 0,
      heartbeatMs: 0,
      metadata: {},
    });
    const body = encodeInferenceRequest(REQUEST.model, generateBytes, {});
    socket.write(
      Buffer.concat([
        encodeFrame({ type: FrameType.Hello, streamId: 0, payload: hello }),
        encodeOpenFrame(1, DataType.GENERATE_REQUEST, Method.Generate, 0xffff_ffff, body),
      ]),
    );
    const last = await ended;
    socket.destroy();
    expect(last.type).toBe(FrameType.End);
    expect(frames.filter((f) => f.type === FrameType.Data).length).toBe(KNOBS.tokens);
  });
});

describe("no overflow warning", () => {
  it("the gateway (--quiet) printed nothing to stderr, and this process no TimeoutOverflowWarning", async () => {
    // Give a wrongly armed timer the time to fire and warn.
    await new Promise((r) => setTimeout(r, 50));
    expect(gw.stderr()).toBe("");
    expect(warnings.filter((w) => w.name === "TimeoutOverflowWarning")).toEqual([]);
  });
});
