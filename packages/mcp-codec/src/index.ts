/**
 * @modelwire/mcp-codec: the pure frame codec of MCP, the Model Communication Protocol (modelwire's own binary,
 * length-framed, multiplexed protocol; not the JSON-RPC Model Context Protocol). No `node:` imports: it runs in
 * any JavaScript runtime. The wire format is specified in `docs/mcp-wire.md`.
 *
 * @packageDocumentation
 */
export {
  MAGIC,
  PROTOCOL_VERSION,
  HEADER_SIZE,
  DEFAULT_MAX_FRAME_SIZE,
  MIN_MAX_FRAME_SIZE,
  MAX_MAX_FRAME_SIZE,
  MAX_STREAM_ID,
  SESSION_ID_SIZE,
  PING_PAYLOAD_SIZE,
  MAX_FRAME_TYPE,
  MAX_METHOD,
  MAX_DATA_TYPE,
  FrameType,
  FrameFlag,
  Method,
} from "./constants.js";
export { ProtocolErrorReason, reasonCode, protocolError, protocolErrorReason } from "./errors.js";
export {
  type Frame,
  type FrameInit,
  encodeFrame,
  encodeFrames,
  writeFrame,
  writeHeader,
  frameSize,
  checkHeader,
  validateFrame,
  isConnectionFrame,
} from "./frame.js";
export { createFrameDecoder, type FrameDecoder, type FrameDecoderOptions } from "./decoder.js";
export {
  type Metadata,
  type Hello,
  type Welcome,
  type OpenPayload,
  type ErrorPayload,
  type Goaway,
  encodeMetadata,
  decodeMetadata,
  encodeHello,
  decodeHello,
  encodeWelcome,
  decodeWelcome,
  encodeOpenFrame,
  encodeOpenPayload,
  decodeOpenPayload,
  encodeErrorPayload,
  decodeErrorPayload,
  encodeGoaway,
  decodeGoaway,
  encodePing,
  decodePing,
} from "./control.js";
