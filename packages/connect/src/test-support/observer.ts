import type { Code, ServerObserver } from "@modelwire/core";

/** One call a {@link recordingObserver} saw: its protocol, method, content chunks and the error code it ended with. */
export interface RecordedCall {
  protocol: string;
  method: string;
  chunks: number;
  error?: Code;
}

/** A server observer that appends every call it sees to `calls` (in start order) and keeps its record current. */
export function recordingObserver(): { observer: ServerObserver; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const observer: ServerObserver = {
    callStarted(protocol, method) {
      const rec: RecordedCall = { protocol, method, chunks: 0 };
      calls.push(rec);
      return { chunk: () => rec.chunks++, end: (e) => (rec.error = e?.code) };
    },
  };
  return { observer, calls };
}
