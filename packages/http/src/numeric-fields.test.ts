import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OLLAMA_OPTION_KEYS } from "./ollama-options.js";
import { type Harness, startHarness } from "./test-support/harness.js";

// Issue 19, defect 3: `"keep_alive": 1e308` was a 500 ("Infinity cannot be converted to a BigInt"). Every numeric
// field of every endpoint, Ollama's and OpenAI's, given a huge, tiny, negative, fractional or overflowing number,
// must answer 200 (a value the API accepts) or 400 naming the field, never 500 and never a hang.

/**
 * Raw JSON number texts (JSON.parse turns `1e400` into Infinity, `-1e400` into -Infinity: the NaN/Infinity
 * producing inputs a client can send).
 */
const BAD_NUMBERS = [
  "1e308",
  "-1e308",
  "1e400",
  "-1e400",
  "1e39",
  "-1e39",
  "3.5e38",
  "1e-320",
  "-1",
  "-2147483649",
  "2147483648",
  "9007199254740993",
  "9223372036854775808",
  "1.5",
  "0.5",
  "-0.5",
  "99999999999999999999",
];

/** String texts numeric fields may also carry (keep_alive takes durations and numbers in strings). */
const BAD_STRINGS = [
  JSON.stringify("9".repeat(400)),
  JSON.stringify("1e308"),
  JSON.stringify("99999999999999999999"),
  JSON.stringify("2562047h47m16.854775808s"),
  JSON.stringify("-9223372036.854775809s"),
];

interface Endpoint {
  path: string;
  /** The request body with `FIELD` where the value goes (a raw JSON text). */
  body: (field: string, value: string) => string;
  fields: string[];
  /** How an error body names the field. */
  names: (text: string, field: string) => boolean;
}

/** Ollama's messages name an option as Ollama does (`option "top_k" ...`), other fields by their path. */
const ollamaNames = (text: string, field: string) => {
  const message = JSON.parse(text).error as string;
  return message.includes(field) || (field.startsWith("options.") && message.includes(`"${field.slice(8)}"`));
};
const openaiNames = (text: string, field: string) => JSON.parse(text).error.param === field;

/** `{"a":{"b":V}}` for the dotted path `a.b`, inside the base object's JSON. */
function withField(base: Record<string, unknown>, field: string, value: string): string {
  const parts = field.split(".");
  let inner = value;
  for (let i = parts.length - 1; i >= 1; i--) inner = `{${JSON.stringify(parts[i])}:${inner}}`;
  const json = JSON.stringify(base);
  return `${json.slice(0, -1)},${JSON.stringify(parts[0])}:${inner}}`;
}

const options = OLLAMA_OPTION_KEYS.filter((k) => k !== "stop" && k !== "use_mmap").map((k) => `options.${k}`);
const stream = { stream: false };

const ENDPOINTS: Endpoint[] = [
  {
    path: "/api/generate",
    body: (f, v) =>
      f === "context"
        ? withField({ model: "synthetic", prompt: "x", ...stream }, f, `[${v}]`)
        : withField({ model: "synthetic", prompt: "x", ...stream }, f, v),
    fields: ["keep_alive", "context", ...options],
    names: ollamaNames,
  },
  {
    path: "/api/chat",
    body: (f, v) => withField({ model: "synthetic", messages: [{ role: "user", content: "x" }], ...stream }, f, v),
    fields: ["keep_alive", ...options],
    names: ollamaNames,
  },
  {
    path: "/api/embed",
    body: (f, v) => withField({ model: "synthetic-embed", input: "x" }, f, v),
    fields: ["keep_alive", "dimensions", ...options],
    names: ollamaNames,
  },
  {
    path: "/api/embeddings",
    body: (f, v) => withField({ model: "synthetic-embed", prompt: "x" }, f, v),
    fields: ["keep_alive", ...options],
    names: ollamaNames,
  },
  {
    path: "/v1/chat/completions",
    body: (f, v) => withField({ model: "synthetic", messages: [{ role: "user", content: "x" }] }, f, v),
    fields: [
      "temperature",
      "top_p",
      "seed",
      "frequency_penalty",
      "presence_penalty",
      "max_tokens",
      "max_completion_tokens",
      "n",
      "top_logprobs",
    ],
    names: openaiNames,
  },
  {
    path: "/v1/completions",
    body: (f, v) => withField({ model: "synthetic", prompt: "x" }, f, v),
    fields: ["temperature", "top_p", "seed", "frequency_penalty", "presence_penalty", "max_tokens", "n", "best_of"],
    names: openaiNames,
  },
  {
    path: "/v1/embeddings",
    body: (f, v) => withField({ model: "synthetic-embed", input: "x" }, f, v),
    fields: ["dimensions"],
    names: openaiNames,
  },
];

let h: Harness;
beforeAll(async () => {
  // Small replies: a value the API accepts (e.g. num_predict 2147483647) must not take long to answer.
  h = await startHarness({ tokens: 4, maxTokens: 8 });
});
afterAll(() => h.stop());

describe("every numeric field: 200 or a 400 naming it, never a 500", () => {
  for (const ep of ENDPOINTS) {
    it(`${ep.path}`, async () => {
      const failures: string[] = [];
      for (const field of ep.fields) {
        const values = field === "keep_alive" ? [...BAD_NUMBERS, ...BAD_STRINGS] : BAD_NUMBERS;
        for (const value of values) {
          const res = await fetch(`${h.url}${ep.path}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: ep.body(field, value),
            signal: AbortSignal.timeout(5_000),
          });
          const text = await res.text();
          if (res.status === 200) continue;
          if (res.status !== 400 || !ep.names(text, field)) failures.push(`${field}=${value}: ${res.status} ${text}`);
        }
      }
      expect(failures).toEqual([]);
    }, 60_000);
  }

  it("keep_alive: 1e308 on generate, chat and embed is a 400 naming keep_alive (the reported case)", async () => {
    for (const [path, base] of [
      ["/api/generate", { model: "synthetic", prompt: "x", stream: false }],
      ["/api/chat", { model: "synthetic", messages: [], stream: false }],
      ["/api/embed", { model: "synthetic-embed", input: "x" }],
    ] as const) {
      const res = await fetch(`${h.url}${path}`, { method: "POST", body: withField(base, "keep_alive", "1e308") });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; code: string };
      expect(body.code).toBe("invalid_argument");
      expect(body.error).toMatch(/^keep_alive/);
    }
  });

  it("keep_alive accepts Ollama's values: negative (forever), 0 (unload), seconds and durations", async () => {
    for (const v of ["-1", "-1e308", "0", "300", "1.5", '"5m"', '"-1"', '"2562047h"']) {
      const res = await fetch(`${h.url}/api/generate`, {
        method: "POST",
        body: withField({ model: "synthetic", prompt: "x", stream: false }, "keep_alive", v),
      });
      expect(res.status, v).toBe(200);
    }
  });
});
