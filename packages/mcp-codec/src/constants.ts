/** The two magic bytes that open every MCP frame: ASCII `"MC"` (0x4D 0x43). */
export const MAGIC = 0x4d43;

/** The only wire version this codec speaks. */
export const PROTOCOL_VERSION = 1;

/** Size in bytes of the fixed frame header that precedes every payload. */
export const HEADER_SIZE = 20;

/** Default maximum payload size (bytes) a peer accepts before the handshake negotiates one: 4 MiB. */
export const DEFAULT_MAX_FRAME_SIZE = 4 * 1024 * 1024;

/** Smallest maximum frame size a peer may announce (1 KiB). */
export const MIN_MAX_FRAME_SIZE = 1024;

/** Largest maximum frame size a peer may announce (64 MiB). */
export const MAX_MAX_FRAME_SIZE = 64 * 1024 * 1024;

/** Largest stream id (stream ids are unsigned 31-bit, so the top bit stays reserved). */
export const MAX_STREAM_ID = 0x7fffffff;

/** Size of the session id the server assigns in WELCOME. */
export const SESSION_ID_SIZE = 16;

/** Size of a PING payload (opaque data echoed by the ACK). */
export const PING_PAYLOAD_SIZE = 8;

/** The frame types of MCP version 1. Any other value is a connection-level protocol error. */
export enum FrameType {
  /** Client → server, stream 0: opens the connection, offers versions and limits, carries credentials. */
  Hello = 0x01,
  /** Server → client, stream 0: accepts the connection with the negotiated version, limits and session id. */
  Welcome = 0x02,
  /** Client → server, new stream: one request (method, deadline, InferenceRequest). */
  Open = 0x03,
  /** Server → client: one streamed chunk (GenerateResponse / ChatResponse) with a sequence number. */
  Data = 0x04,
  /** Server → client: the stream's last frame (final chunk with metrics, or the unary reply). */
  End = 0x05,
  /** Either direction: an error with a code; stream 0 means the whole connection is failing. */
  Error = 0x06,
  /** Client → server: stop this stream. */
  Cancel = 0x07,
  /** Either direction, stream 0: heartbeat with 8 opaque bytes; the ACK flag marks the reply. */
  Ping = 0x08,
  /** Server → client, stream 0: no new streams; names the last stream the server accepted. */
  Goaway = 0x09,
}

/** Highest frame type value defined in version 1. */
export const MAX_FRAME_TYPE = FrameType.Goaway;

/** Flag bits of the header's flags byte. Bits a frame type does not define must be 0. */
export enum FrameFlag {
  /** On PING: this frame is the reply (pong) to a PING with the same data. */
  Ack = 0x01,
}

/** The operation an OPEN frame asks for (first byte of the OPEN payload). */
export enum Method {
  /** Streams a completion; input is a GenerateRequest (data type GENERATE_REQUEST) or a bare prompt (TEXT). */
  Generate = 1,
  /** Streams a chat reply; input is a ChatRequest (data type CHAT_REQUEST). */
  Chat = 2,
  /** Embeds; input is an EmbedRequest (EMBED_REQUEST) or one text (TEXT). */
  Embed = 3,
  /** Lists models; no input. */
  List = 4,
  /** Lists loaded models; no input. */
  Running = 5,
  /** Describes a model; input is a ShowModelRequest (data type UNSPECIFIED). */
  Show = 6,
  /** The server's version; no input. */
  Version = 7,
}

/** Highest method value defined in version 1. */
export const MAX_METHOD = Method.Version;

/** Highest `modelwire.v1.DataType` value this version knows (DATA_TYPE_EMBED_REQUEST). */
export const MAX_DATA_TYPE = 6;
