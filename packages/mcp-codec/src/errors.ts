import { Code, ModelwireError } from "@modelwire/core";

/**
 * Why a peer violated MCP. Each reason maps to one {@link Code} (see {@link reasonCode}); the reason travels in
 * the error's `metadata.reason`, and in ERROR frames as metadata too.
 */
export enum ProtocolErrorReason {
  /** The first two header bytes are not `"MC"`. */
  BadMagic = "bad_magic",
  /** The header's version byte is not one this peer speaks. */
  UnsupportedVersion = "unsupported_version",
  /** The frame type is not defined in this version. */
  UnknownType = "unknown_type",
  /** A reserved field, reserved flag bit or the stream id's top bit is set. */
  ReservedBits = "reserved_bits",
  /** The payload length exceeds the negotiated maximum frame size. */
  FrameTooLarge = "frame_too_large",
  /** A control frame on a stream other than 0, or a stream frame on stream 0. */
  BadStreamId = "bad_stream_id",
  /** The data type byte is unknown, or set on a frame other than OPEN. */
  BadDataType = "bad_data_type",
  /** A payload is malformed for its frame type (wrong fixed size, truncated field, bad UTF-8, bad method). */
  BadPayload = "bad_payload",
  /** A frame arrived that is not allowed in the connection's state or direction (e.g. OPEN before WELCOME). */
  UnexpectedFrame = "unexpected_frame",
  /** An OPEN reused a stream id, or did not increase over the previous one. */
  StreamIdReused = "stream_id_reused",
  /** A chunk's sequence number is not the next expected one (a gap or a duplicate). */
  SequenceGap = "sequence_gap",
  /** The peer went silent for longer than two heartbeat intervals. */
  HeartbeatTimeout = "heartbeat_timeout",
  /** The handshake offered no common version. */
  VersionMismatch = "version_mismatch",
  /** The handshake's credentials were missing or wrong. */
  Unauthenticated = "unauthenticated",
  /** No HELLO arrived within the server's handshake timeout. */
  HandshakeTimeout = "handshake_timeout",
  /** The decoder was used after it had already failed. */
  DecoderFailed = "decoder_failed",
}

const CODES: Record<ProtocolErrorReason, Code> = {
  [ProtocolErrorReason.BadMagic]: Code.InvalidArgument,
  [ProtocolErrorReason.UnsupportedVersion]: Code.Unimplemented,
  [ProtocolErrorReason.UnknownType]: Code.InvalidArgument,
  [ProtocolErrorReason.ReservedBits]: Code.InvalidArgument,
  [ProtocolErrorReason.FrameTooLarge]: Code.ResourceExhausted,
  [ProtocolErrorReason.BadStreamId]: Code.InvalidArgument,
  [ProtocolErrorReason.BadDataType]: Code.InvalidArgument,
  [ProtocolErrorReason.BadPayload]: Code.InvalidArgument,
  [ProtocolErrorReason.UnexpectedFrame]: Code.FailedPrecondition,
  [ProtocolErrorReason.StreamIdReused]: Code.InvalidArgument,
  [ProtocolErrorReason.SequenceGap]: Code.DataLoss,
  [ProtocolErrorReason.HeartbeatTimeout]: Code.Unavailable,
  [ProtocolErrorReason.VersionMismatch]: Code.Unimplemented,
  [ProtocolErrorReason.Unauthenticated]: Code.Unauthenticated,
  [ProtocolErrorReason.HandshakeTimeout]: Code.DeadlineExceeded,
  [ProtocolErrorReason.DecoderFailed]: Code.FailedPrecondition,
};

/** The {@link Code} a protocol violation is reported with. */
export function reasonCode(reason: ProtocolErrorReason): Code {
  return CODES[reason];
}

/**
 * A coded protocol error: a {@link ModelwireError} whose `metadata.reason` is the {@link ProtocolErrorReason} and
 * whose code is {@link reasonCode}(reason). Extra facts (offset, type, length) go into metadata as strings.
 */
export function protocolError(
  reason: ProtocolErrorReason,
  message: string,
  extra: Record<string, string | number> = {},
): ModelwireError {
  const metadata: Record<string, string> = { reason };
  for (const k in extra) metadata[k] = String(extra[k]);
  return new ModelwireError(message, CODES[reason], metadata);
}

/** The {@link ProtocolErrorReason} of an error made by {@link protocolError}, if it is one. */
export function protocolErrorReason(error: unknown): ProtocolErrorReason | undefined {
  if (!(error instanceof ModelwireError)) return undefined;
  const r = error.metadata.reason;
  return r !== undefined && (Object.values(ProtocolErrorReason) as string[]).includes(r)
    ? (r as ProtocolErrorReason)
    : undefined;
}
