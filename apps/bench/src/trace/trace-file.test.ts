import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../usage-error.js";
import { formatTrace, parseTrace, readTraceFile, TRACE_LIMITS, TraceError } from "./trace-file.js";

function refusal(text: string): TraceError {
  try {
    parseTrace(text, "t.jsonl");
  } catch (e) {
    expect(e).toBeInstanceOf(TraceError);
    expect(e).toBeInstanceOf(UsageError);
    return e as TraceError;
  }
  throw new Error("the trace was accepted");
}

describe("trace files", () => {
  it("reads prompts or lengths, max_tokens and model, skipping blank lines and unknown fields", () => {
    const t = parseTrace(
      [
        '{"offset_ms": 0, "prompt": "hello there", "max_tokens": 8}',
        "",
        '{"offset_ms": 12.5, "prompt_tokens": 40, "model": "llama3.2:1b", "note": "ignored"}\r',
        '{"timestamp": 30, "input_length": 7, "output_length": 3, "hash_ids": [1, 2]}',
      ].join("\n"),
      "t.jsonl",
    );
    expect(t.entries).toEqual([
      { offsetMs: 0, prompt: "hello there", maxTokens: 8 },
      { offsetMs: 12.5, promptTokens: 40, model: "llama3.2:1b" },
      { offsetMs: 30, promptTokens: 7, maxTokens: 3 },
    ]);
    expect(t).toMatchObject({ file: "t.jsonl", requests: 3, spanMs: 30 });
    expect(t.digest).toMatch(/^[0-9a-f]{16}$/);
  });

  it("refuses each malformed line with a code and the line's number", () => {
    const ok = '{"offset_ms": 1, "prompt": "a"}';
    const cases: Array<[string, string, number]> = [
      [`${ok}\n{"offset_ms": 2, "prompt": "b"`, "not_json", 2],
      [`${ok}\n\n[1, 2]`, "not_an_object", 3],
      [`${ok}\n{"prompt": "b"}`, "missing_field", 2],
      [`{"offset_ms": 1}`, "missing_field", 1],
      [`{"offset_ms": -1, "prompt": "a"}`, "bad_field", 1],
      [`{"offset_ms": "5", "prompt": "a"}`, "bad_field", 1],
      [`{"offset_ms": 1, "prompt": ""}`, "bad_field", 1],
      [`{"offset_ms": 1, "prompt_tokens": 2.5}`, "bad_field", 1],
      [`{"offset_ms": 1, "prompt": "a", "max_tokens": 0}`, "bad_field", 1],
      [`{"offset_ms": 1, "prompt": "a", "model": 3}`, "bad_field", 1],
      [`{"offset_ms": 1, "prompt": "a", "prompt_tokens": 3}`, "conflicting_fields", 1],
      [`{"offset_ms": 1, "timestamp": 1, "prompt": "a"}`, "conflicting_fields", 1],
      [`${ok}\n{"offset_ms": 0.5, "prompt": "b"}`, "out_of_order", 2],
      [`${ok}\n{"offset_ms": 1, "prompt": "${"x".repeat(TRACE_LIMITS.lineBytes)}"}`, "line_too_long", 2],
    ];
    for (const [text, code, line] of cases) {
      const e = refusal(text);
      expect({ code: e.code, line: e.line }).toEqual({ code, line });
      expect(e.message).toContain(`--trace t.jsonl: line ${line}: `);
      expect(e.message).toContain(`[${code}]`);
    }
    expect(refusal("\n\n").code).toBe("empty");
  });

  it("refuses a trace over the request limit at the first line past it", () => {
    const line = '{"offset_ms":0,"prompt_tokens":1}\n';
    const e = refusal(line.repeat(TRACE_LIMITS.requests + 1));
    expect({ code: e.code, line: e.line }).toEqual({ code: "too_many_requests", line: TRACE_LIMITS.requests + 1 });
  });

  it("refuses a file over the size limit before reading it, and a missing file as a usage error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "trace-"));
    try {
      const big = join(dir, "big.jsonl");
      await writeFile(big, "");
      const { truncate } = await import("node:fs/promises");
      await truncate(big, TRACE_LIMITS.fileBytes + 1);
      await expect(readTraceFile(big)).rejects.toMatchObject({ code: "file_too_large" });
      await expect(readTraceFile(join(dir, "none.jsonl"))).rejects.toThrow(/cannot read it/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("writes what it reads", () => {
    const entries = [
      { offsetMs: 0, prompt: 'say "hi"\n', maxTokens: 4 },
      { offsetMs: 1.2345, promptTokens: 9, model: "m" },
    ];
    const again = parseTrace(formatTrace(entries), "w.jsonl").entries;
    expect(again).toEqual([entries[0], { ...entries[1], offsetMs: 1.235 }]);
  });
});
