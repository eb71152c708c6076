import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type ModelInfo, ModelInfoSchema } from "@modelwire/core";

/** A model the synthetic engine pretends to serve. */
export type SyntheticModel = MessageInitShape<typeof ModelInfoSchema> & {
  /** Whether the model embeds (`true`) or completes (`false`, the default). */
  embedding?: boolean;
  /** Whether the model has Ollama's `thinking` capability (it thinks before answering unless `think: false`). */
  thinking?: boolean;
  /** Its parameter count (`general.parameter_count`; `details.parameter_size` is written from it). */
  parameterCount?: number;
  /** The context it was trained with (`<arch>.context_length`); a request's `num_ctx` is capped to it. */
  trainedContext?: number;
  /** Its embedding width (`<arch>.embedding_length`, the length of its embeddings). Default: the engine's. */
  embeddingLength?: number;
};

/** The architecture name the synthetic models report (`general.architecture`, the `<arch>.` key prefix). */
export const SYNTHETIC_ARCH = "synthetic";

const MODIFIED = Date.UTC(2026, 0, 1);

/** The default model list, shaped like Ollama's `/api/tags` entries. */
export const DEFAULT_MODELS: readonly SyntheticModel[] = [
  model("synthetic:latest", 1_235_814_432, 1_321_098_329, "Q4_K_M", { trainedContext: 131_072, embeddingLength: 2048 }),
  model("synthetic:7b", 7_615_616_512, 4_683_087_332, "Q4_K_M", { trainedContext: 32_768, embeddingLength: 3584 }),
  model("synthetic-think:latest", 8_190_735_360, 5_225_387_923, "Q4_K_M", {
    trainedContext: 40_960,
    embeddingLength: 4096,
    thinking: true,
  }),
  model("synthetic-embed:latest", 137_000_000, 274_302_450, "F16", { trainedContext: 2048, embedding: true }),
];

function model(
  name: string,
  parameterCount: number,
  size: number,
  quantizationLevel: string,
  extra: Pick<SyntheticModel, "embedding" | "thinking" | "trainedContext" | "embeddingLength">,
): SyntheticModel {
  return {
    name,
    model: name,
    modifiedAt: timestampFromMs(MODIFIED),
    size: BigInt(size),
    digest: digestOf(name),
    details: {
      format: "gguf",
      family: SYNTHETIC_ARCH,
      families: [SYNTHETIC_ARCH],
      parameterSize: humanNumber(parameterCount),
      quantizationLevel,
    },
    parameterCount,
    ...extra,
  };
}

/**
 * A count as Ollama writes `parameter_size` (its `format.HumanNumber`): `8.2B`, `7B`, `136.73M`, `137M`, `12K`.
 */
export function humanNumber(n: number): string {
  const scaled = (unit: number, suffix: string, digits: number) => {
    const v = n / unit;
    return `${v === Math.floor(v) ? v.toFixed(0) : v.toFixed(digits)}${suffix}`;
  };
  if (n >= 1e9) return scaled(1e9, "B", 1);
  if (n >= 1e6) return scaled(1e6, "M", 2);
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}K`;
  return String(n);
}

/** A stable 64-hex-digit fake digest for a model name. */
function digestOf(name: string): string {
  let out = "";
  let h = 0x811c9dc5;
  while (out.length < 64) {
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ out.length, 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out.slice(0, 64);
}

/** Builds the ModelInfo message of a synthetic model. */
export function modelInfo(m: SyntheticModel): ModelInfo {
  const { embedding: _e, thinking: _t, parameterCount: _p, trainedContext: _c, embeddingLength: _l, ...init } = m;
  return create(ModelInfoSchema, init);
}

/**
 * Finds a model by name as Ollama does: case-insensitively, a name without a tag meaning `:latest`.
 */
export function findModel(models: readonly SyntheticModel[], name: string): SyntheticModel | undefined {
  const lower = name.toLowerCase();
  const full = lower.includes(":") ? lower : `${lower}:latest`;
  return models.find((m) => {
    const n = (m.name ?? "").toLowerCase();
    return n === full || n === lower;
  });
}
