/**
 * @modelwire/benchmarks: serialization cost in isolation. The cases (payload class × encoding), the round-trip
 * check every case passes before it is timed, the tinybench runner, and the shape of `reports/serialization.json`.
 *
 * @packageDocumentation
 */

export {
  buildCases,
  ENCODINGS,
  type Encoding,
  requestEncodings,
  responseEncodings,
  STREAM_CLASS,
  singleCase,
  streamCase,
} from "./cases.js";
export { avroRequestCodec, avroResponseCodec } from "./codecs/avro.js";
export type { Codec, FrameReader, StreamCodec } from "./codecs/codec.js";
export {
  createEnvelopeReader,
  decodeEnvelope,
  ENVELOPE_HEADER_BYTES,
  encodeEnvelope,
  grpcCodec,
} from "./codecs/grpc-envelope.js";
export {
  encodeRequestFrame,
  encodeRequestFrameParts,
  encodeResponseFrame,
  mcpRequestCodec,
  mcpRequestPartsCodec,
  mcpResponseCodec,
  type PartsCodec,
} from "./codecs/mcp-frame.js";
export { msgpackRequestCodec, msgpackResponseCodec } from "./codecs/msgpack.js";
export { createLineReader, encodeLine } from "./codecs/ndjson.js";
export { ollamaJsonRequestCodec, ollamaJsonResponseCodec, ollamaNdjsonResponseCodec } from "./codecs/ollama-json.js";
export { MAX_MESSAGE_BYTES, protobufBinaryCodec, protobufJsonCodec } from "./codecs/protobuf.js";
export {
  createFixtures,
  FIXTURE_MODEL,
  type Fixtures,
  fixtureBytes,
  fixtureText,
  type RequestClass,
  type ResponseClass,
  STREAM_TOKENS,
} from "./fixtures.js";
export type {
  CaseResult,
  McpVsProtobuf,
  ProtobufVsJson,
  SerializationReport,
  SizeRow,
  TaskTiming,
} from "./report.js";
export { SERIALIZATION_REPORT_FORMAT } from "./report.js";
export { type BenchCase, RoundTripError, type RoundTripResult, verifyRoundTrip } from "./round-trip.js";
export { mcpVsProtobuf, protobufVsJson, roundTripNs, runSuite, type SuiteOptions, sizeTable } from "./suite.js";
