import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, GenerateResponseSchema, type InferenceClient } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { type ConnectClientOptions, createConnectClient } from "./client.js";
import { envelope } from "./grpc-wire.js";
import { h2ErrorName, resetStreamError } from "./h2-reset.js";
import { cleanupAfterEach, failure } from "./test-support/harness.js";

const cleanup = cleanupAfterEach();

/**
 * A bare node:http2 server (no gRPC library) that ends every call the way the request's `x-reset` header says:
 * `<code>` resets the stream with that RST_STREAM code before any response, `<code>@headers` after the response
 * headers, `<code>@message` after headers and one Generate message, and `drop` destroys the connection.
 */
async function resettingServer(): Promise<{ url: string; calls: () => number }> {
  let calls = 0;
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    calls++;
    const [what, when] = String(headers["x-reset"]).split("@");
    stream.on("error", () => {});
    stream.resume();
    stream.on("end", () => {
      if (what === "drop") {
        stream.session?.destroy();
        return;
      }
      if (when === "headers" || when === "message")
        stream.respond({ ":status": 200, "content-type": "application/grpc" });
      if (when === "message") {
        stream.write(
          envelope(toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { model: "m", response: "tok" }))),
        );
      }
      setImmediate(() => stream.close(Number(what)));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, calls: () => calls };
}

function client(options: ConnectClientOptions): InferenceClient {
  const c = createConnectClient(options);
  cleanup.push(() => c.close());
  return c;
}

const retry = { maxAttempts: 3, initialBackoffMs: 5, maxBackoffMs: 10 };

/** gRPC PROTOCOL-HTTP2, "Errors": RST_STREAM code → gRPC code (and whether the client may retry). */
const table: Array<[number, Code]> = [
  [0, Code.Internal], // NO_ERROR before the trailers
  [1, Code.Internal], // PROTOCOL_ERROR
  [2, Code.Internal], // INTERNAL_ERROR
  [3, Code.Internal], // FLOW_CONTROL_ERROR
  [4, Code.Internal], // SETTINGS_TIMEOUT
  [6, Code.Internal], // FRAME_SIZE_ERROR
  [7, Code.Unavailable], // REFUSED_STREAM
  [8, Code.Canceled], // CANCEL
  [9, Code.Internal], // COMPRESSION_ERROR
  [10, Code.Internal], // CONNECT_ERROR
  [11, Code.ResourceExhausted], // ENHANCE_YOUR_CALM
  [12, Code.PermissionDenied], // INADEQUATE_SECURITY
];

describe("resetStreamError", () => {
  it.each(table)("maps RST_STREAM %i to gRPC code %i", (rst, code) => {
    expect(resetStreamError(rst, false).code).toBe(code);
    expect(resetStreamError(rst, false).rawMessage).toContain(h2ErrorName(rst));
    // A stream closed because its connection failed is UNAVAILABLE whatever the code.
    expect(resetStreamError(rst, true).code).toBe(Code.Unavailable);
  });

  it("a server CANCEL after the call's deadline is DEADLINE_EXCEEDED; unknown codes are INTERNAL", () => {
    expect(resetStreamError(8, false, Date.now() - 1).code).toBe(Code.DeadlineExceeded);
    expect(resetStreamError(8, false, Date.now() + 60_000).code).toBe(Code.Canceled);
    expect(resetStreamError(5, false).code).toBe(Code.Internal); // STREAM_CLOSED: no mapping in the spec
    expect(resetStreamError(0x99, false).rawMessage).toContain("0x99");
  });
});

describe.each([true, false])("a gRPC client (fast paths %s) reading RST_STREAM from a bare HTTP/2 server", (fast) => {
  it.each(table)("RST_STREAM %i before any response: code %i, retried only when UNAVAILABLE", async (rst, code) => {
    const server = await resettingServer();
    const c = client({ baseUrl: server.url, fastUnary: fast, fastStreaming: fast, retry });
    const err = await failure(c.version({ metadata: { "x-reset": String(rst) } }));
    expect(err.code, err.message).toBe(code);
    expect(server.calls()).toBe(code === Code.Unavailable ? retry.maxAttempts : 1);
  });

  it.each([1, 2])("RST_STREAM %i after the headers of a stream is INTERNAL, never retried", async (rst) => {
    const server = await resettingServer();
    const c = client({ baseUrl: server.url, fastUnary: fast, fastStreaming: fast, retry });
    const err = await failure(async () => {
      for await (const _ of c.generate({ model: "m", prompt: "p" }, { metadata: { "x-reset": `${rst}@headers` } }));
    });
    expect(err.code, err.message).toBe(Code.Internal);
    expect(server.calls()).toBe(1);
  });

  it("RST_STREAM PROTOCOL_ERROR after a message: the message arrives, then INTERNAL", async () => {
    const server = await resettingServer();
    const c = client({ baseUrl: server.url, fastUnary: fast, fastStreaming: fast, retry });
    const got: string[] = [];
    const err = await failure(async () => {
      for await (const m of c.generate({ model: "m", prompt: "p" }, { metadata: { "x-reset": "1@message" } }))
        got.push(m.response);
    });
    expect(got).toEqual(["tok"]);
    expect(err.code, err.message).toBe(Code.Internal);
    expect(server.calls()).toBe(1);
  });

  it("a connection that drops mid-call is UNAVAILABLE and retried", async () => {
    const server = await resettingServer();
    const c = client({ baseUrl: server.url, fastUnary: fast, fastStreaming: fast, retry });
    const err = await failure(c.version({ metadata: { "x-reset": "drop" } }));
    expect(err.code, err.message).toBe(Code.Unavailable);
    expect(server.calls()).toBe(retry.maxAttempts);
  });
});
