import { Code, ModelwireError } from "@modelwire/core";
import { createParser, type EventSourceMessage } from "eventsource-parser";

/** Options of {@link readSseData}. */
export interface SseReadOptions {
  /** Longest event (or unterminated line) accepted, in characters. Default 8 Mi. */
  maxEventChars?: number;
}

/** The longest event {@link readSseData} accepts by default. */
export const DEFAULT_MAX_EVENT_CHARS = 8 * 1024 * 1024;

/**
 * Reads an OpenAI Server-Sent Events body with `eventsource-parser`: yields each event's `data` (comments and
 * `retry` are skipped) and returns at `data: [DONE]`. Bytes are decoded as UTF-8 across chunk boundaries; invalid
 * UTF-8 is `DataLoss`, an event longer than `maxEventChars` is `ResourceExhausted`, and a body that ends before
 * `[DONE]` is `Aborted`: a truncated stream never looks complete.
 */
export async function* readSseData(
  source: AsyncIterable<Uint8Array | string>,
  options: SseReadOptions = {},
): AsyncGenerator<string> {
  const max = options.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS;
  const events: EventSourceMessage[] = [];
  let failure: ModelwireError | undefined;
  const parser = createParser({
    maxBufferSize: max,
    onEvent: (e) => events.push(e),
    onError: (e) => {
      failure ??=
        e.type === "max-buffer-size-exceeded"
          ? new ModelwireError(`server-sent event exceeds ${max} characters`, Code.ResourceExhausted)
          : undefined;
    },
  });
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let count = 0;
  for await (const chunk of source) {
    let text: string;
    try {
      text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    } catch {
      throw new ModelwireError("stream is not valid UTF-8", Code.DataLoss);
    }
    parser.feed(text);
    if (failure) throw failure;
    for (let i = 0; i < events.length; i++) {
      const data = events[i].data;
      if (data === "[DONE]") return;
      count++;
      yield data;
    }
    events.length = 0;
  }
  throw new ModelwireError(`stream ended after ${count} event(s) without data: [DONE]`, Code.Aborted, {
    events: String(count),
  });
}
