/**
 * The shape of `reports/serialization.json`, which the bench app's HTML report joins with its network figures.
 * Times are nanoseconds per operation (one operation = encode or decode of the case's whole payload: one message,
 * or every chunk of a stream). Each tinybench sample times a batch of `batch` operations (about 25 µs) so timer
 * overhead does not distort sub-microsecond operations; per-operation figures are the sample figures ÷ batch.
 * Comparisons (`protobufVsJson`, `mcpVsProtobuf`) use the medians, which a loaded machine disturbs less than means.
 */

/** Version tag of {@link SerializationReport}; bumped on incompatible changes. */
export const SERIALIZATION_REPORT_FORMAT = "modelwire.serialization/v1";

/** Timing of one task (encode or decode of one case). */
export interface TaskTiming {
  /** Mean latency per operation, ns (mean of batch samples ÷ batch). */
  readonly nsPerOp: number;
  /** Mean throughput, operations per second. */
  readonly opsPerSec: number;
  /** Relative margin of error of the mean latency, percent (95 % confidence). */
  readonly rmePercent: number;
  /** Median per-operation latency, ns (median batch sample ÷ batch). */
  readonly p50Ns: number;
  /** 99th percentile per-operation latency, ns (of batch means, so single-call spikes are averaged in). */
  readonly p99Ns: number;
  /** Timed operations (samples × batch). */
  readonly samples: number;
  /** Operations per timed sample. */
  readonly batch: number;
}

/** One case: payload class × encoding. */
export interface CaseResult {
  /** `payload/encoding`. */
  readonly name: string;
  /** Payload class: `req-small`, `req-4k`, `req-64k`, `req-image-256k`, `chunk-token`, `chunk-final`, `stream-64`. */
  readonly payload: string;
  /**
   * Encoding: `ollama-json`, `ollama-ndjson`, `openai-sse` (reply chunks only), `protobuf`, `protobuf-json`, `grpc`, `mcp`, `avro`, `msgpack`; or,
   * for `kind: "mcp-part"`, one layer of the unfused MCP path (`mcp.wrap`, `mcp.open-frame`, `mcp.data-frame`),
   * the reflective wrap (`mcp.wrap-reflective`), or `mcp.parts` (the request OPEN frame as no-copy parts, bytes
   * summed over the parts; a GenerateRequest codec with the same bytes as `mcp`).
   */
  readonly encoding: string;
  /** `encoding`: a whole encoding of the payload; `mcp-part`: one MCP layer, bytes in and bytes out. */
  readonly kind: "encoding" | "mcp-part";
  /** Wire bytes of the payload in this encoding (for a stream: every frame summed). */
  readonly bytes: number;
  /** `"ok"`, or why the round-trip check failed (the case is then not timed). */
  readonly roundTrip: string;
  /** Encode timing; null when not timed (filtered out or failed its check). */
  readonly encode: TaskTiming | null;
  /** Decode timing; null when not timed. */
  readonly decode: TaskTiming | null;
}

/** One row of the wire-size table. */
export interface SizeRow {
  readonly payload: string;
  readonly encoding: string;
  readonly bytes: number;
  /** bytes / Ollama JSON bytes of the same payload (1 = same size). */
  readonly vsOllamaJson: number;
}

/** Protobuf binary against Ollama's JSON for one payload class. */
export interface ProtobufVsJson {
  readonly payload: string;
  readonly protobufBytes: number;
  readonly jsonBytes: number;
  /** 1 − protobuf/json, percent: how much smaller Protobuf is (negative: larger). */
  readonly sizeSavingPercent: number;
  /** Whether the saving lies in the article's claimed 60–70 %. */
  readonly withinClaimed60to70: boolean;
  /** JSON encode+decode ns ÷ Protobuf encode+decode ns, medians (> 1: Protobuf faster); null when either was not timed. */
  readonly speedup: number | null;
  readonly protobufNs: number | null;
  readonly jsonNs: number | null;
}

/** The full MCP frame against bare protobuf-es for one payload class. */
export interface McpVsProtobuf {
  readonly payload: string;
  /** MCP encode+decode ns (medians). */
  readonly mcpNs: number;
  /** Bare Protobuf encode+decode ns (medians). */
  readonly protobufNs: number;
  /** mcpNs / protobufNs (target ≤ 1.15). */
  readonly ratio: number;
  readonly withinTarget: boolean;
  /** Wire bytes added by the frame: MCP bytes − Protobuf bytes. */
  readonly overheadBytes: number;
  /**
   * The unfused MCP path by layer (medians, encode+decode): `protobuf` then each timed `mcp.*` layer. The real
   * path fuses them (the InferenceRequest written into the frame; chunks coded by hand), so the sum exceeds
   * `mcpNs` by what fusing saves. Empty when the layers were not timed.
   */
  readonly layers: readonly { readonly layer: string; readonly ns: number }[];
  /**
   * Requests only: the fused request path (OPEN frame with the InferenceRequest written in place, one buffer) ÷
   * bare Protobuf. Since the suite times @modelwire/mcp's real path, that is the `mcp` case itself, so this equals
   * `ratio` for requests; null for replies. (It used to time the suite's own `mcp.fused` proposal, now shipped.)
   */
  readonly fusedRatio: number | null;
  /**
   * Requests sent as parts only (serialized request ≥ 64 KiB): encode+decode of `mcp.parts` (the same OPEN frame as
   * header/input/tail parts, the input not copied) ÷ bare Protobuf; null when not timed or not applicable.
   */
  readonly partsRatio: number | null;
  /** Requests only: encode+decode ns of the InferenceRequest wrap through protobuf-es reflection (for comparison with the `mcp.wrap` layer); null when not timed. */
  readonly reflectiveWrapNs: number | null;
}

/** `reports/serialization.json`. */
export interface SerializationReport {
  readonly format: typeof SERIALIZATION_REPORT_FORMAT;
  /** ISO 8601 time of the run. */
  readonly generatedAt: string;
  readonly environment: {
    readonly node: string;
    readonly platform: string;
    readonly arch: string;
    readonly cpus: number;
    readonly cpuModel: string;
    /** 1-, 5-, 15-minute load averages at the start (other work on the machine skews figures). */
    readonly loadavg: readonly number[];
  };
  readonly settings: {
    readonly seed: number;
    /** tinybench time budget per task, ms. */
    readonly timeMs: number;
    readonly warmupMs: number;
    /** The case-name regex, or null for every case. */
    readonly filter: string | null;
    /** Content chunks in the stream class (plus one final chunk). */
    readonly streamTokens: number;
  };
  readonly cases: readonly CaseResult[];
  readonly sizes: readonly SizeRow[];
  readonly protobufVsJson: readonly ProtobufVsJson[];
  readonly mcpVsProtobuf: readonly McpVsProtobuf[];
}
