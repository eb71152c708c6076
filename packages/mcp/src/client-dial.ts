/**
 * How a client connection starts: dialing its endpoint (a Unix socket, TCP, or TLS with SNI for a host name) and
 * the HELLO frame it sends once connected. Holds no state; `ClientConnection` owns the socket.
 *
 * @module
 */

import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import {
  encodeFrame,
  encodeHello,
  FEATURES_KEY,
  Feature,
  FrameType,
  formatFeatures,
  PROTOCOL_VERSION,
} from "@modelwire/mcp-codec";
import type { ConnectionSettings } from "./connection-settings.js";

/** Dials `s.endpoint`; `onConnect` runs once the socket (and TLS) is up, after Nagle is turned off on TCP/TLS. */
export function dialEndpoint(s: ConnectionSettings, onConnect: () => void): Socket {
  const e = s.endpoint;
  let socket: Socket;
  const connected = () => {
    if (e.kind !== "unix") socket.setNoDelay(true);
    onConnect();
  };
  if (e.kind === "unix") socket = netConnect({ path: e.path }, connected);
  else if (e.kind === "tcp") socket = netConnect({ host: e.host, port: e.port }, connected);
  else
    socket = tlsConnect(
      { host: e.host, port: e.port, servername: isIp(e.host) ? undefined : e.host, ...s.tls },
      connected,
    );
  return socket;
}

/** The `features` value a client with settings `s` offers (docs/mcp-wire.md §4.7), `""` for none. */
function offered(s: ConnectionSettings): string {
  const names: string[] = [];
  if (s.compactData) names.push(Feature.CompactData);
  if (s.batchData) names.push(Feature.BatchData);
  return formatFeatures(names);
}

/** The client's HELLO: this protocol version only, its frame size and heartbeat, name, token and offered features. */
export function helloFrame(s: ConnectionSettings): Uint8Array {
  return encodeFrame({
    type: FrameType.Hello,
    streamId: 0,
    payload: encodeHello({
      minVersion: PROTOCOL_VERSION,
      maxVersion: PROTOCOL_VERSION,
      maxFrameSize: s.maxFrameSize,
      maxStreams: 0,
      heartbeatMs: s.heartbeatMs,
      metadata: {
        client: s.clientName,
        ...(s.authToken !== undefined ? { "auth-token": s.authToken } : {}),
        ...(offered(s) !== "" ? { [FEATURES_KEY]: offered(s) } : {}),
      },
    }),
  });
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}
