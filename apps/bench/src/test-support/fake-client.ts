import { create } from "@bufbuild/protobuf";
import { Code, GenerateResponseSchema, type InferenceClient, ModelwireError } from "@modelwire/core";

/** A fake transport: each stream yields `tokens` chunks ("t0 ", "t1 ", ...) after `delayMs`, then a final chunk. */
export interface FakeClientOptions {
  tokens?: number;
  /** Delay before the first chunk, ms. */
  delayMs?: number;
  /** While `paused()` is true, no chunk is delivered (the server "stalls"). */
  paused?: () => boolean;
  /** Fail requests whose seq (prompt "p<seq>") satisfies this with the given code. */
  failWhen?: (prompt: string) => Code | undefined;
}

/** The tokens a fake stream produces. */
export function fakeTokens(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `t${i} `);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Creates a fake {@link InferenceClient} (generate only). */
export function createFakeClient(o: FakeClientOptions = {}): InferenceClient & { calls: number } {
  const tokens = o.tokens ?? 4;
  const unimplemented = async (): Promise<never> => {
    throw new ModelwireError("fake", Code.Unimplemented);
  };
  const client = {
    transport: "fake",
    calls: 0,
    async *generate(req: { prompt?: string }, opts?: { signal?: AbortSignal }) {
      client.calls++;
      const check = () => {
        if (opts?.signal?.aborted) throw new ModelwireError("canceled", Code.Canceled);
      };
      const code = o.failWhen?.(req.prompt ?? "");
      if (o.delayMs) await sleep(o.delayMs);
      while (o.paused?.()) {
        check();
        await sleep(2);
      }
      if (code !== undefined) throw new ModelwireError("injected", code);
      for (const t of fakeTokens(tokens)) {
        while (o.paused?.()) {
          check();
          await sleep(2);
        }
        yield create(GenerateResponseSchema, { model: "fake", response: t });
      }
      yield create(GenerateResponseSchema, { model: "fake", done: true, doneReason: "stop" });
    },
    chat: () => {
      throw new ModelwireError("fake", Code.Unimplemented);
    },
    embed: unimplemented,
    list: unimplemented,
    running: unimplemented,
    show: unimplemented,
    version: unimplemented,
    stats: () => ({ transport: "fake", open: 1, active: 0, idle: 1, queued: 0 }),
    close: async () => {},
  };
  return client as unknown as InferenceClient & { calls: number };
}
