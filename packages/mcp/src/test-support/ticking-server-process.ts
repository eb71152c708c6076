/**
 * A scripted MCP server in its own process, for tests that block the client's thread (a server in the test's
 * process would stop with it): `node --import tsx ticking-server-process.ts <heartbeatMs> <chunks>`. It answers
 * HELLO with a WELCOME carrying `heartbeatMs`, then for every OPEN writes one DATA frame (GenerateResponse "t")
 * every 10 ms and an END after `chunks` of them. It keeps no idle timer of its own, so a client that is silent
 * for a while is not dropped. Prints `port N` once listening on 127.0.0.1.
 */
import { createServer } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { GenerateResponseSchema } from "@modelwire/core";
import { createFrameDecoder, encodeFrame, encodeWelcome, FrameType } from "@modelwire/mcp-codec";

const heartbeatMs = Number(process.argv[2]);
const chunks = Number(process.argv[3]);
const chunk = (done: boolean) =>
  toBinary(GenerateResponseSchema, create(GenerateResponseSchema, { model: "m", response: done ? "" : "t", done }));

const server = createServer((s) => {
  const d = createFrameDecoder();
  s.on("error", () => {});
  s.on("data", (bytes) => {
    d.push(bytes);
    for (const f of d) {
      if (f.type === FrameType.Hello) {
        const welcome = { version: 1, maxFrameSize: 1 << 20, maxStreams: 100, heartbeatMs, metadata: {} };
        s.write(
          encodeFrame({
            type: FrameType.Welcome,
            streamId: 0,
            payload: encodeWelcome({ ...welcome, sessionId: new Uint8Array(16) }),
          }),
        );
      } else if (f.type === FrameType.Open) {
        const id = f.streamId;
        let seq = 0;
        const tick = setInterval(() => {
          if (s.destroyed) return clearInterval(tick);
          const done = seq === chunks;
          s.write(
            encodeFrame({
              type: done ? FrameType.End : FrameType.Data,
              streamId: id,
              sequence: seq,
              payload: chunk(done),
            }),
          );
          seq++;
          if (done) clearInterval(tick);
        }, 10);
      }
    }
  });
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`port ${(server.address() as { port: number }).port}\n`);
});
