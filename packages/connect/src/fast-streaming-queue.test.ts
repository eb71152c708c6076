import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { GenerateRequestSchema, type ProtocolServer } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { plateau } from "@modelwire/test-kit";
import { afterEach, expect, it } from "vitest";
import { envelope } from "./grpc-wire.js";
import { createConnectServer } from "./server.js";

// Issue 19, bounded memory under overload: a gRPC stream whose reader falls behind used to queue one write request
// per token (a 40-byte token cost a JS Buffer, a queue entry and an nghttp2 write record) until the 16 KiB high
// water mark — some 2,000 requests per stream with the window — and 1,000 such streams held hundreds of MiB.

let server: ProtocolServer | undefined;
const realWrite = http2.Http2ServerResponse.prototype.write;
afterEach(async () => {
  http2.Http2ServerResponse.prototype.write = realWrite;
  await server?.close({ graceMs: 100 });
});

it("the fast streaming path joins tokens while the client reads nothing: few write requests, every token after", async () => {
  const tokens = 4_000;
  server = createConnectServer({ engine: createSyntheticEngine({ tokens }), writeStallTimeoutMs: 0 });
  const url = (await server.listen())[0].url;
  let writes = 0;
  http2.Http2ServerResponse.prototype.write = function (this: http2.Http2ServerResponse, ...args: never[]) {
    writes++;
    return (realWrite as (...a: never[]) => boolean).apply(this, args);
  } as typeof realWrite;
  const session = http2.connect(url);
  session.on("error", () => {});
  try {
    const body = toBinary(GenerateRequestSchema, create(GenerateRequestSchema, { model: "synthetic", prompt: "q" }));
    const stream = session.request({
      ":method": "POST",
      ":path": "/modelwire.v1.InferenceService/Generate",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.pause();
    stream.end(envelope(body));
    // The server writes until the flow-control window and its queue are full, then waits: the count stops moving.
    const blocked = await plateau(() => writes, { everyMs: 200, stableFor: 5, timeoutMs: 30_000 });
    // One per token would be ~2,000 here (64 KiB window + 16 KiB queue of ~40-byte messages).
    expect(blocked).toBeGreaterThan(0);
    expect(blocked).toBeLessThan(300);
    let received = 0;
    let buffered = Buffer.alloc(0);
    stream.on("data", (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      while (buffered.length >= 5 && buffered.length >= 5 + buffered.readUInt32BE(1)) {
        received++;
        buffered = buffered.subarray(5 + buffered.readUInt32BE(1));
      }
    });
    const trailers = new Promise<http2.IncomingHttpHeaders>((r) => stream.once("trailers", r));
    stream.resume();
    expect((await trailers)["grpc-status"]).toBe("0");
    expect(received).toBe(tokens + 1); // every token, then the final chunk
  } finally {
    session.close();
  }
});
