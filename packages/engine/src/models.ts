import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type ModelInfo, ModelInfoSchema } from "@modelwire/core";

/** A model the synthetic engine pretends to serve. */
export type SyntheticModel = MessageInitShape<typeof ModelInfoSchema> & {
  /** Whether the model embeds (`true`) or completes (`false`, the default). */
  embedding?: boolean;
};

const MODIFIED = Date.UTC(2026, 0, 1);

/** The default model list, shaped like Ollama's `/api/tags` entries. */
export const DEFAULT_MODELS: readonly SyntheticModel[] = [
  model("synthetic:latest", "1.2B", 1_321_098_329, "Q4_K_M"),
  model("synthetic:7b", "7.6B", 4_683_087_332, "Q4_K_M"),
  { ...model("synthetic-embed:latest", "137M", 274_302_450, "F16"), embedding: true },
];

function model(name: string, parameterSize: string, size: number, quantizationLevel: string): SyntheticModel {
  return {
    name,
    model: name,
    modifiedAt: timestampFromMs(MODIFIED),
    size: BigInt(size),
    digest: digestOf(name),
    details: { format: "gguf", family: "synthetic", families: ["synthetic"], parameterSize, quantizationLevel },
  };
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
  const { embedding: _embedding, ...init } = m;
  return create(ModelInfoSchema, init);
}

/**
 * Finds a model by name, accepting a name without a tag as `:latest`, as Ollama does.
 */
export function findModel(models: readonly SyntheticModel[], name: string): SyntheticModel | undefined {
  const full = name.includes(":") ? name : `${name}:latest`;
  return models.find((m) => m.name === full || m.name === name);
}
