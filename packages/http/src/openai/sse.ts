/**
 * Server-Sent Events framing as OpenAI streams it: each event is one `data:` line holding one JSON document and
 * a blank line (`data: {...}\n\n`), and the stream ends with `data: [DONE]\n\n`. No `event:` or `id:` fields.
 * Pure: no I/O.
 *
 * @module
 */

/** The content type of a streamed reply. */
export const SSE_TYPE = "text/event-stream";

/** The headers of a streamed reply: no caching, and no buffering by a proxy in front (nginx honours the last). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Type": SSE_TYPE,
  "Cache-Control": "no-cache",
  "X-Accel-Buffering": "no",
};

/** The event that ends a successful stream. */
export const SSE_DONE = "data: [DONE]\n\n";

/**
 * One event carrying a JSON text. `JSON.stringify` never emits a raw line break (it escapes `\n` and `\r`, and
 * U+2028/U+2029 are not SSE line terminators), so the text always fits one `data:` line.
 */
export function sseData(json: string): string {
  return `data: ${json}\n\n`;
}

/** Several events in one text, for one socket write. */
export function sseEvents(jsons: readonly string[]): string {
  if (jsons.length === 1) return `data: ${jsons[0]}\n\n`;
  let out = "";
  for (const j of jsons) out += `data: ${j}\n\n`;
  return out;
}
