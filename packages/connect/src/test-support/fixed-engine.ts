import { create } from "@bufbuild/protobuf";
import {
  ChatResponseSchema,
  Code,
  GenerateResponseSchema,
  ModelwireError,
  VersionResponseSchema,
} from "@modelwire/core";
import { createSyntheticEngine, type Engine } from "@modelwire/engine";
import { waitForAbort } from "./engines.js";

/**
 * An engine whose replies are the same bytes on every run (the synthetic engine's carry timestamps and
 * durations), for comparing two servers' responses byte for byte. Generate and Chat choose by prompt / last
 * message: `ok` (three tokens and a final chunk), `fail-early` (NOT_FOUND with metadata before any chunk),
 * `fail-late` (two tokens, then RESOURCE_EXHAUSTED with metadata and characters that need escaping), `hang` (until
 * the call's signal fires). Version answers a fixed string; `show` of `nope` is NOT_FOUND; the rest is the
 * synthetic engine's (deterministic apart from streams).
 */
export function fixedEngine(): Engine {
  const base = createSyntheticEngine();
  const chunk = (response: string, done = false) =>
    create(GenerateResponseSchema, {
      model: "fixed",
      createdAt: { seconds: 1_700_000_000n, nanos: 5 },
      response,
      done,
      ...(done ? { doneReason: "stop", metrics: { evalCount: 3, totalDuration: 42n } } : {}),
    });
  async function* script(prompt: string, signal: AbortSignal) {
    switch (prompt) {
      case "ok":
        yield chunk("Hello");
        yield chunk(" wide");
        yield chunk(" world é");
        yield chunk("", true);
        return;
      case "fail-early":
        throw new ModelwireError("model 'nope:x' not found", Code.NotFound, { model: "nope:x" });
      case "fail-late":
        yield chunk("one");
        yield chunk(" two");
        throw new ModelwireError("quota 'q:1' at 100% — über", Code.ResourceExhausted, { "Quota-Key": "q:1" });
      case "hang":
        yield chunk("wait");
        await waitForAbort(signal);
        return;
      default:
        throw new ModelwireError(`unknown script ${prompt}`, Code.InvalidArgument);
    }
  }
  return {
    ...base,
    generate: (req, ctx) => script(req.prompt, ctx.signal),
    async *chat(req, ctx) {
      for await (const c of script(req.messages.at(-1)?.content ?? "", ctx.signal)) {
        yield create(ChatResponseSchema, {
          model: c.model,
          createdAt: c.createdAt,
          message: { role: "assistant", content: c.response },
          done: c.done,
          doneReason: c.doneReason,
          metrics: c.metrics,
        });
      }
    },
    version: async () => create(VersionResponseSchema, { version: "9.9.9-fixed" }),
    show: async (req, ctx) => {
      if (req.model === "nope") throw new ModelwireError("model 'nope' not found", Code.NotFound, { model: "nope" });
      if (req.model === "hang") return waitForAbort(ctx.signal);
      return base.show(req, ctx);
    },
  };
}
