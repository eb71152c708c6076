import { createServer, type Server, type Socket } from "node:net";
import { createFrameDecoder, encodeFrame, encodeWelcome, FrameType, type Metadata } from "@modelwire/mcp-codec";
import type { Cleanups } from "./harness.js";

/**
 * A scripted fake MCP server for client tests: answers HELLO with a WELCOME (1 MiB frames, 100 streams, heartbeats
 * off, `welcomeMetadata` in its metadata), then calls `onOpen(streamId, socket)` for every OPEN; the test writes
 * whatever bytes it wants. Closed (its sockets destroyed) by `cleanups`. Returns its `tcp://` URL.
 */
export async function scriptedServer(
  cleanups: Cleanups,
  onOpen: (id: number, s: Socket) => void,
  welcomeMetadata: Metadata = {},
): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    const d = createFrameDecoder();
    s.on("error", () => {});
    s.on("data", (chunk) => {
      d.push(chunk);
      for (const f of d) {
        if (f.type === FrameType.Hello) {
          s.write(
            encodeFrame({
              type: FrameType.Welcome,
              streamId: 0,
              payload: encodeWelcome({
                version: 1,
                maxFrameSize: 1 << 20,
                maxStreams: 100,
                heartbeatMs: 0,
                sessionId: new Uint8Array(16),
                metadata: welcomeMetadata,
              }),
            }),
          );
        } else if (f.type === FrameType.Open) onOpen(f.streamId, s);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return `tcp://127.0.0.1:${(server.address() as { port: number }).port}`;
}
