import { type CallOptions, type InferenceClient, setLongTimeout } from "@modelwire/core";
import {
  type ChatTurn,
  type ChatWork,
  runStreamCall,
  type SessionWork,
  type StreamOutcome,
  type WorkItem,
} from "./stream-call.js";

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      timer.clear();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setLongTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs a chat session: for each turn, the conversation so far (every user message and every reply as received)
 * plus the turn's message is sent, the reply streamed and timed as its own request (`onOutcome` sees each turn),
 * then the session thinks for `thinkMs` before the next turn. A failed turn ends the session. The first turn is
 * timed from `intendedStart`, later ones from when they were due.
 */
export async function runSession(
  client: InferenceClient,
  item: SessionWork,
  intendedStart: number,
  seq: number,
  options: CallOptions | undefined,
  onOutcome: (o: StreamOutcome) => void,
): Promise<void> {
  const messages: ChatTurn[] = [];
  let due = intendedStart;
  for (let turn = 0; turn < item.turns.length; turn++) {
    if (options?.signal?.aborted) return;
    messages.push({ role: "user", content: item.turns[turn] });
    const request = item.request([...messages]);
    const work: ChatWork = { kind: "chat", request };
    const expected = item.expected?.(request);
    if (expected) work.expected = expected;
    const key = item.key?.(request);
    if (key !== undefined) work.key = key;
    const o = await runStreamCall(client, work, due, seq, options, true);
    const text = o.text ?? "";
    delete o.text;
    onOutcome(o);
    if (o.code !== "ok") return;
    messages.push({ role: "assistant", content: text });
    if (turn + 1 < item.turns.length) await sleep(item.thinkMs, options?.signal);
    due = performance.now();
  }
}

/** Runs one unit of load (a request or a chat session), handing every stream's outcome to `onOutcome`. */
export async function runWork(
  client: InferenceClient,
  item: WorkItem,
  intendedStart: number,
  seq: number,
  options: CallOptions | undefined,
  onOutcome: (o: StreamOutcome) => void,
): Promise<void> {
  if (item.kind === "session") return runSession(client, item, intendedStart, seq, options, onOutcome);
  onOutcome(await runStreamCall(client, item, intendedStart, seq, options));
}
