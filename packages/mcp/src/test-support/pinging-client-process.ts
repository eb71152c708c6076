/**
 * A hand-driven MCP client in its own process, for tests that block the server's thread:
 * `node --import tsx pinging-client-process.ts <port> <heartbeatMs>`. It sends HELLO proposing `heartbeatMs`, then
 * a PING every heartbeatMs / 4, and prints `ready` once the WELCOME arrived and `closed` if the server closes.
 */
import { encodeFrame, encodePing, FrameType } from "@modelwire/mcp-codec";
import { connectRaw, helloBytes } from "./raw-peer.js";

const port = Number(process.argv[2]);
const heartbeatMs = Number(process.argv[3]);
const peer = await connectRaw(port);
peer.write(helloBytes(undefined, {}, heartbeatMs));
await peer.waitFor((f) => f.type === FrameType.Welcome);
process.stdout.write("ready\n");
const tick = setInterval(() => {
  peer.write(encodeFrame({ type: FrameType.Ping, streamId: 0, payload: encodePing(performance.now()) }));
}, heartbeatMs / 4);
peer.closed.then(() => {
  clearInterval(tick);
  process.stdout.write("closed\n");
});
