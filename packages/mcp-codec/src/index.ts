/**
 * @modelwire/mcp-codec: the pure frame codec of MCP, the Model Communication Protocol (modelwire's own binary,
 * length-framed, multiplexed protocol; not the JSON-RPC Model Context Protocol). No `node:` imports: it runs in
 * any JavaScript runtime. The wire format is specified in `docs/mcp-wire.md`.
 *
 * @packageDocumentation
 */
export {
  BATCH_DATA_MARKER,
  BATCH_HEADER_SIZE,
  BATCH_MAX_PAYLOAD,
  checkBatchPayload,
  DataBatch,
  encodeBatchDataFrame,
  entryEnd,
  entryPrefixSize,
  MAX_BATCH_CHUNKS,
  readEntry,
  splitBatchPayload,
  writeBatchHeader,
  writeEntryPrefix,
} from "./batch.js";
export {
  COMPACT_DATA_MARKER,
  COMPACT_HEADER_SIZE,
  COMPACT_MAX_PAYLOAD,
  encodeCompactDataFrame,
  FEATURES_KEY,
  Feature,
  formatFeatures,
  parseFeatures,
  writeCompactHeader,
} from "./compact.js";
export {
  DEFAULT_MAX_FRAME_SIZE,
  FrameFlag,
  FrameType,
  HEADER_SIZE,
  MAGIC,
  MAX_DATA_TYPE,
  MAX_FRAME_TYPE,
  MAX_MAX_FRAME_SIZE,
  MAX_METHOD,
  MAX_STREAM_ID,
  Method,
  MIN_MAX_FRAME_SIZE,
  PING_PAYLOAD_SIZE,
  PROTOCOL_VERSION,
  SESSION_ID_SIZE,
} from "./constants.js";
export {
  decodeErrorPayload,
  decodeGoaway,
  decodeHello,
  decodeMetadata,
  decodeOpenPayload,
  decodePing,
  decodeWelcome,
  type ErrorPayload,
  encodeErrorPayload,
  encodeGoaway,
  encodeHello,
  encodeMetadata,
  encodeOpenFrame,
  encodeOpenPayload,
  encodePing,
  encodeWelcome,
  type Goaway,
  type Hello,
  type Metadata,
  type OpenPayload,
  type Welcome,
} from "./control.js";
export { createFrameDecoder, type FrameDecoder, type FrameDecoderOptions } from "./decoder.js";
export { ProtocolErrorReason, protocolError, protocolErrorReason, reasonCode } from "./errors.js";
export {
  checkHeader,
  encodeFrame,
  encodeFrames,
  type Frame,
  type FrameInit,
  frameSize,
  isConnectionFrame,
  validateFrame,
  writeFrame,
  writeHeader,
} from "./frame.js";
