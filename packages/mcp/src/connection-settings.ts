import type { ConnectionOptions } from "node:tls";
import type { GenerateRequest } from "@modelwire/core";
import type { Endpoint } from "./endpoint.js";

/** What an OPEN carries in its InferenceRequest body. */
export interface RequestBody {
  modelVersion: string;
  input: Uint8Array;
  metadata: Record<string, string> | undefined;
  /**
   * A generate call's request, serialized straight into the OPEN frame when the stream opens (its model as
   * `modelVersion`; `modelVersion` and `input` are then unused): one allocation, images copied once.
   */
  generate?: GenerateRequest;
}

/** Settings one client connection uses. */
export interface ConnectionSettings {
  endpoint: Endpoint;
  tls?: ConnectionOptions;
  authToken?: string;
  heartbeatMs: number;
  maxFrameSize: number;
  connectTimeoutMs: number;
  maxQueuedChunks: number;
  clientName: string;
  /** OPEN (and other) frames per socket write at most (see `FrameWriter`). */
  writeBatchFrames: number;
  /** Offer the `compact-data` feature in HELLO. */
  compactData: boolean;
  /** Offer the `batch-data` feature in HELLO. */
  batchData: boolean;
}
