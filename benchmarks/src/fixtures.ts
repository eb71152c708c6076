/**
 * Seeded fixtures: the payload classes every encoding is measured on. The same seed gives byte-identical messages
 * on every run and platform, so figures from two runs describe the same data.
 */
import { create } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  type GenerateRequest,
  GenerateRequestSchema,
  type GenerateResponse,
  GenerateResponseSchema,
  MetricsSchema,
  OptionsSchema,
} from "@modelwire/core";
import { createPrng, syntheticTokens } from "@modelwire/engine";

/** The model name every fixture carries. */
export const FIXTURE_MODEL = "llama3.2:1b";

/** How many one-token content chunks the stream payload class holds before its final chunk. */
export const STREAM_TOKENS = 64;

/** Names of the request payload classes. */
export type RequestClass = "req-small" | "req-4k" | "req-64k" | "req-image-256k";
/** Names of the response payload classes: one content chunk, the final chunk, and a whole stream. */
export type ResponseClass = "chunk-token" | "chunk-final" | `stream-${number}`;

/** One seeded set of payloads. */
export interface Fixtures {
  /** Generate requests by class. */
  readonly requests: Readonly<Record<RequestClass, GenerateRequest>>;
  /** A content chunk carrying one token (`done: false`). */
  readonly tokenChunk: GenerateResponse;
  /** The final chunk: `done: true`, `done_reason`, and every metric set. */
  readonly finalChunk: GenerateResponse;
  /** A whole reply: {@link STREAM_TOKENS} one-token chunks, then the final chunk. */
  readonly stream: readonly GenerateResponse[];
}

/** Text of roughly `chars` UTF-16 code units made of the synthetic vocabulary (mostly ASCII, some multi-byte). */
export function fixtureText(seed: number, chars: number): string {
  const parts: string[] = [];
  let length = 0;
  let round = 0;
  while (length < chars) {
    const words = syntheticTokens({ seed, model: FIXTURE_MODEL, prompt: `text-${round++}`, count: 256 });
    for (const w of words) {
      parts.push(w);
      length += w.length;
    }
  }
  return parts.join("").slice(0, chars);
}

/** `n` incompressible seeded bytes (stands for an encoded image such as a JPEG). */
export function fixtureBytes(seed: number, n: number): Uint8Array {
  const prng = createPrng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = prng.int(256);
  return out;
}

function request(seed: number, prompt: string, images: Uint8Array[] = []): GenerateRequest {
  // Float fields are float32 on the Protobuf wire: the values are exactly representable so every encoding can
  // round-trip them bit for bit.
  return create(GenerateRequestSchema, {
    model: FIXTURE_MODEL,
    prompt,
    system: "You are a concise assistant.",
    stream: true,
    keepAlive: create(DurationSchema, { seconds: 300n, nanos: 0 }),
    images,
    options: create(OptionsSchema, {
      seed: BigInt(seed),
      numPredict: 128,
      temperature: 0.75,
      topP: 0.875,
      topK: 40,
      repeatPenalty: 1.125,
      numCtx: 4096,
      stop: ["</s>", "\n\n"],
    }),
  });
}

/** Creates the payload classes from a seed (two different seeds give different contents of the same shape). */
export function createFixtures(seed: number): Fixtures {
  const prng = createPrng(seed);
  const smallPrompt = fixtureText(seed + 1, 48);
  const requests: Record<RequestClass, GenerateRequest> = {
    "req-small": request(seed, smallPrompt),
    "req-4k": request(seed, fixtureText(seed + 2, 4096)),
    "req-64k": request(seed, fixtureText(seed + 3, 65536)),
    "req-image-256k": request(seed, `Describe this image. ${smallPrompt}`, [fixtureBytes(seed + 4, 256 * 1024)]),
  };
  const baseSeconds = 1_764_000_000n + BigInt(prng.int(1_000_000));
  const createdAt = (i: number) =>
    create(TimestampSchema, {
      seconds: baseSeconds + BigInt(Math.floor(i / 50)),
      nanos: (i % 50) * 20_000_000 + prng.int(1_000_000),
    });
  const tokens = syntheticTokens({ seed, model: FIXTURE_MODEL, prompt: smallPrompt, count: STREAM_TOKENS });
  const stream: GenerateResponse[] = tokens.map((token, i) =>
    create(GenerateResponseSchema, { model: FIXTURE_MODEL, createdAt: createdAt(i), response: token, done: false }),
  );
  const finalChunk = create(GenerateResponseSchema, {
    model: FIXTURE_MODEL,
    createdAt: createdAt(STREAM_TOKENS),
    response: "",
    done: true,
    doneReason: "stop",
    metrics: create(MetricsSchema, {
      totalDuration: 1_234_567_890n + BigInt(prng.int(1_000_000)),
      loadDuration: 12_345_678n + BigInt(prng.int(1_000)),
      promptEvalCount: 12 + prng.int(20),
      promptEvalDuration: 23_456_789n + BigInt(prng.int(1_000)),
      evalCount: STREAM_TOKENS,
      evalDuration: 987_654_321n + BigInt(prng.int(1_000_000)),
    }),
  });
  stream.push(finalChunk);
  return { requests, tokenChunk: stream[0], finalChunk, stream };
}
