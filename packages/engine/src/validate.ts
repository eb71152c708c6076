import type { Duration } from "@bufbuild/protobuf/wkt";
import { type GenerateRequest, invalidArgument, type Options } from "@modelwire/core";

/** The smallest `num_predict` Ollama accepts: -1 means "until the model stops", -2 "fill the context". */
export const MIN_NUM_PREDICT = -2;

/**
 * Checks the typed options of a request; throws `InvalidArgument` naming the field (`options.top_p`) for a value
 * no model could use. Unset fields are fine.
 */
export function validateOptions(options: Options | undefined): void {
  if (!options) return;
  const o = options;
  if (o.numPredict !== undefined && o.numPredict < MIN_NUM_PREDICT) {
    throw invalidArgument(
      "options.num_predict",
      `options.num_predict must be >= ${MIN_NUM_PREDICT} (-1 = no limit, -2 = fill context), got ${o.numPredict}`,
    );
  }
  nonNegative("options.top_k", o.topK);
  nonNegative("options.num_ctx", o.numCtx);
  nonNegative("options.num_keep", o.numKeep, -1);
  nonNegative("options.num_batch", o.numBatch);
  nonNegative("options.num_thread", o.numThread);
  nonNegative("options.repeat_last_n", o.repeatLastN, -1);
  nonNegative("options.temperature", o.temperature);
  unitInterval("options.top_p", o.topP);
  unitInterval("options.min_p", o.minP);
  unitInterval("options.typical_p", o.typicalP);
  finite("options.repeat_penalty", o.repeatPenalty);
  finite("options.presence_penalty", o.presencePenalty);
  finite("options.frequency_penalty", o.frequencyPenalty);
}

/**
 * The largest `keep_alive` in seconds: Go's (hence Ollama's) longest duration, 2^63-1 ns (about 292 years), as the
 * HTTP API reads `keep_alive` too. A negative one means "keep loaded forever".
 */
export const MAX_KEEP_ALIVE_SECONDS = 9_223_372_036n;

/**
 * Checks a request's `keep_alive` (a protobuf Duration from gRPC, Connect or MCP): nanos within ±999,999,999 with
 * the sign of the seconds (protobuf's rule) and at most {@link MAX_KEEP_ALIVE_SECONDS}; throws InvalidArgument
 * naming `keep_alive` otherwise.
 */
export function validateKeepAlive(d: Duration | undefined): void {
  if (!d) return;
  if (
    d.nanos < -999_999_999 ||
    d.nanos > 999_999_999 ||
    (d.seconds > 0n && d.nanos < 0) ||
    (d.seconds < 0n && d.nanos > 0)
  ) {
    throw invalidArgument("keep_alive", `keep_alive is not a valid duration (seconds ${d.seconds}, nanos ${d.nanos})`);
  }
  if (d.seconds > MAX_KEEP_ALIVE_SECONDS) {
    throw invalidArgument(
      "keep_alive",
      `keep_alive is out of range: ${d.seconds} s (at most ${MAX_KEEP_ALIVE_SECONDS} s, about 292 years)`,
    );
  }
}

/** Checks the fields every request must have: a model name. */
export function validateModelField(model: string): void {
  if (model.length === 0) throw invalidArgument("model", "model is required");
}

/** Validates a generate request's fields that the synthetic engine relies on. */
export function validateGenerate(request: GenerateRequest): void {
  validateModelField(request.model);
  validateOptions(request.options);
}

function finite(field: string, v: number | undefined) {
  if (v !== undefined && !Number.isFinite(v))
    throw invalidArgument(field, `${field} must be a finite number, got ${v}`);
}

function nonNegative(field: string, v: number | undefined, min = 0) {
  finite(field, v);
  if (v !== undefined && v < min) throw invalidArgument(field, `${field} must be >= ${min}, got ${v}`);
}

function unitInterval(field: string, v: number | undefined) {
  finite(field, v);
  if (v !== undefined && (v < 0 || v > 1)) throw invalidArgument(field, `${field} must be within [0, 1], got ${v}`);
}
