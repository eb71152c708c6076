/**
 * OpenAI's streamed legacy completion (what the `openai` transport uses): each reply chunk is one
 * `data: {"id":…,"object":"text_completion",…,"choices":[{"index":0,"text":…,"finish_reason":null}]}` Server-Sent
 * Event, written by the gateway's own chunk encoder; the final chunk becomes the `finish_reason` event, the usage
 * event and `data: [DONE]`. Read back with `eventsource-parser` and the client's decoder, as the OpenAI client
 * does. The wire carries less than the contract: `created` in whole seconds, the same for a whole stream, and usage
 * counts without durations; {@link openaiChunkEquals} compares what it carries.
 */
import type { GenerateResponse } from "@modelwire/core";
import {
  createCompletionChunkEncoder,
  createCompletionStreamDecoder,
  SSE_DONE,
  sseEvents,
} from "@modelwire/http/openai";
import { createParser } from "eventsource-parser";
import type { FrameReader, StreamCodec } from "./codec.js";

const utf8Encoder = new TextEncoder();

/** Per-stream SSE framing: the encoder restarts at index 0, the reader decodes one stream. */
export function openaiSseResponseCodec(): StreamCodec<GenerateResponse> {
  let encoder = createCompletionChunkEncoder("cmpl-bench", true);
  return {
    encodeFrame(value, index) {
      if (index === 0) encoder = createCompletionChunkEncoder("cmpl-bench", true);
      const events = sseEvents(encoder.encode(value));
      return utf8Encoder.encode(value.done ? events + SSE_DONE : events);
    },
    createReader(): FrameReader<GenerateResponse> {
      const decoder = createCompletionStreamDecoder();
      const text = new TextDecoder("utf-8", { fatal: true });
      let out: GenerateResponse[] = [];
      // Characters since the last blank line (the end of an event), and whether the last one seen was a newline.
      let held = 0;
      let lastNewline = false;
      const parser = createParser({
        onEvent(e) {
          if (e.data === "[DONE]") out.push(...decoder.end());
          else out.push(...decoder.push(JSON.parse(e.data)));
        },
      });
      return {
        get pending() {
          return held;
        },
        push(chunk) {
          const s = text.decode(chunk, { stream: true });
          parser.feed(s);
          // A complete event ends with a blank line; what follows the last one is held by the parser.
          const end = s.lastIndexOf("\n\n");
          if (end !== -1) held = s.length - end - 2;
          else if (lastNewline && s.startsWith("\n")) held = s.length - 1;
          else held += s.length;
          if (s.length > 0) lastNewline = s.endsWith("\n");
          const values = out;
          out = [];
          return values;
        },
      };
    },
  };
}

const seconds = (c: GenerateResponse) => c.createdAt?.seconds;

/** Equal in what OpenAI's completion chunk carries: model, text, done, finish reason, counts, created seconds. */
export function openaiChunkEquals(a: GenerateResponse, b: GenerateResponse): boolean {
  return carried(a, b) && seconds(a) === seconds(b);
}

/** Streams equal chunk by chunk in what the wire carries, `created` being the first chunk's for the whole stream. */
export function openaiStreamEquals(a: readonly GenerateResponse[], b: readonly GenerateResponse[]): boolean {
  return a.length === b.length && seconds(a[0]) === seconds(b[0]) && a.every((x, i) => carried(x, b[i]));
}

function carried(a: GenerateResponse, b: GenerateResponse): boolean {
  return (
    a.model === b.model &&
    a.response === b.response &&
    a.done === b.done &&
    a.doneReason === b.doneReason &&
    (a.metrics?.promptEvalCount ?? 0) === (b.metrics?.promptEvalCount ?? 0) &&
    (a.metrics?.evalCount ?? 0) === (b.metrics?.evalCount ?? 0)
  );
}
