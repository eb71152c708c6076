import { create } from "@bufbuild/protobuf";
import { Code, type GenerateResponse, GenerateResponseSchema, ModelwireError } from "@modelwire/core";
import { createSyntheticEngine, type Engine } from "@modelwire/engine";

/**
 * An engine whose generate yields one prebuilt token chunk and one prebuilt final chunk, doing no work: with it the
 * benchmark isolates what the MCP transport itself costs. Other methods delegate to a synthetic engine.
 */
export function createStubEngine(): Engine {
  const base = createSyntheticEngine({ tokens: 1 });
  const token = create(GenerateResponseSchema, { model: "synthetic:latest", response: " hello" });
  const final = create(GenerateResponseSchema, {
    model: "synthetic:latest",
    done: true,
    doneReason: "length",
    metrics: { evalCount: 1, totalDuration: 1000n },
  });
  const chunks: GenerateResponse[] = [token, final];
  return {
    ...base,
    generate(_req, ctx) {
      return {
        [Symbol.asyncIterator]() {
          let i = 0;
          return {
            next: () => {
              if (ctx.signal.aborted) return Promise.reject(ModelwireError.from(ctx.signal.reason, Code.Canceled));
              return Promise.resolve(i < 2 ? { done: false, value: chunks[i++] } : { done: true, value: undefined });
            },
          };
        },
      };
    },
  };
}
