/**
 * `/api/tags`, `/api/ps`, `/api/show` and `/api/version`, Ollama's JSON to and from the contract's messages.
 */

import { create } from "@bufbuild/protobuf";
import {
  type ListModelsResponse,
  ListModelsResponseSchema,
  type ListRunningResponse,
  ListRunningResponseSchema,
  type ModelDetails,
  ModelDetailsSchema,
  type ModelInfo,
  ModelInfoSchema,
  type ShowModelRequest,
  ShowModelRequestSchema,
  type ShowModelResponse,
  ShowModelResponseSchema,
  type VersionResponse,
  VersionResponseSchema,
} from "@modelwire/core";
import {
  asRecord,
  type JsonRecord,
  path,
  readArray,
  readBool,
  readInt32,
  readInt64,
  readOptionalRecord,
  readString,
  stringItem,
} from "./json-read.js";
import { body, jsonObject, reply, timestamp } from "./ollama-json-common.js";
import type {
  OllamaListModelJson,
  OllamaListResponseJson,
  OllamaModelDetailsJson,
  OllamaProcessModelJson,
  OllamaPsResponseJson,
  OllamaShowRequestJson,
  OllamaShowResponseJson,
  OllamaVersionResponseJson,
} from "./ollama-json-types.js";
import { formatRfc3339 } from "./rfc3339.js";

function detailsToJson(d: ModelDetails): OllamaModelDetailsJson {
  return {
    parent_model: d.parentModel,
    format: d.format,
    family: d.family,
    families: [...d.families],
    parameter_size: d.parameterSize,
    quantization_level: d.quantizationLevel,
  };
}

function detailsFromJson(o: JsonRecord, key: string, parent: string): ModelDetails | undefined {
  const d = readOptionalRecord(o, key, parent);
  if (!d) return undefined;
  const p = path(parent, key);
  return create(ModelDetailsSchema, {
    parentModel: readString(d, "parent_model", p),
    format: readString(d, "format", p),
    family: readString(d, "family", p),
    families: readArray(d, "families", p, stringItem),
    parameterSize: readString(d, "parameter_size", p),
    quantizationLevel: readString(d, "quantization_level", p),
  });
}

function modelInfoFromJson(v: unknown, field: string): ModelInfo {
  const o = asRecord(v, field);
  return create(ModelInfoSchema, {
    name: readString(o, "name", field),
    model: readString(o, "model", field),
    modifiedAt: timestamp(o, "modified_at", field),
    size: readInt64(o, "size", field),
    digest: readString(o, "digest", field),
    details: detailsFromJson(o, "details", field),
    expiresAt: timestamp(o, "expires_at", field),
    sizeVram: readInt64(o, "size_vram", field),
    contextLength: readInt32(o, "context_length", field),
  });
}

/** Writes `GET /api/tags`'s reply. */
export function listResponseToJson(msg: ListModelsResponse): OllamaListResponseJson {
  return {
    models: msg.models.map((m) => {
      const out: OllamaListModelJson = { name: m.name, model: m.model, size: Number(m.size), digest: m.digest };
      if (m.modifiedAt) out.modified_at = formatRfc3339(m.modifiedAt);
      if (m.details) out.details = detailsToJson(m.details);
      return out;
    }),
  };
}

/** Reads `GET /api/tags`'s reply. */
export function listResponseFromJson(obj: unknown): ListModelsResponse {
  const o = reply(obj, "tags response");
  return create(ListModelsResponseSchema, { models: readArray(o, "models", "", modelInfoFromJson) });
}

/** Writes `GET /api/ps`'s reply. */
export function psResponseToJson(msg: ListRunningResponse): OllamaPsResponseJson {
  return {
    models: msg.models.map((m) => {
      const out: OllamaProcessModelJson = {
        name: m.name,
        model: m.model,
        size: Number(m.size),
        digest: m.digest,
        size_vram: Number(m.sizeVram),
      };
      if (m.details) out.details = detailsToJson(m.details);
      if (m.expiresAt) out.expires_at = formatRfc3339(m.expiresAt);
      out.context_length = m.contextLength;
      return out;
    }),
  };
}

/** Reads `GET /api/ps`'s reply. */
export function psResponseFromJson(obj: unknown): ListRunningResponse {
  const o = reply(obj, "ps response");
  return create(ListRunningResponseSchema, { models: readArray(o, "models", "", modelInfoFromJson) });
}

/** Reads a `POST /api/show` body (`model`, or the legacy `name`). */
export function showRequestFromJson(obj: unknown): ShowModelRequest {
  const o = body(obj);
  const model = readString(o, "model") || readString(o, "name");
  return create(ShowModelRequestSchema, { model, verbose: readBool(o, "verbose") });
}

/** Writes a show request as Ollama's JSON body. */
export function showRequestToJson(msg: ShowModelRequest): OllamaShowRequestJson {
  const out: OllamaShowRequestJson = { model: msg.model };
  if (msg.verbose) out.verbose = true;
  return out;
}

/** Writes `POST /api/show`'s reply (empty fields omitted, as Ollama's `omitempty` does). */
export function showResponseToJson(msg: ShowModelResponse): OllamaShowResponseJson {
  const out: OllamaShowResponseJson = {};
  if (msg.license) out.license = msg.license;
  if (msg.modelfile) out.modelfile = msg.modelfile;
  if (msg.parameters) out.parameters = msg.parameters;
  if (msg.template) out.template = msg.template;
  if (msg.system) out.system = msg.system;
  if (msg.details) out.details = detailsToJson(msg.details);
  if (msg.modelInfo) out.model_info = msg.modelInfo;
  if (msg.capabilities.length > 0) out.capabilities = [...msg.capabilities];
  if (msg.modifiedAt) out.modified_at = formatRfc3339(msg.modifiedAt);
  return out;
}

/** Reads `POST /api/show`'s reply (fields the contract lacks, such as `tensors`, are ignored). */
export function showResponseFromJson(obj: unknown): ShowModelResponse {
  const o = reply(obj, "show response");
  return create(ShowModelResponseSchema, {
    license: readString(o, "license"),
    modelfile: readString(o, "modelfile"),
    parameters: readString(o, "parameters"),
    template: readString(o, "template"),
    system: readString(o, "system"),
    details: detailsFromJson(o, "details", ""),
    modelInfo: jsonObject(o, "model_info", ""),
    capabilities: readArray(o, "capabilities", "", stringItem),
    modifiedAt: timestamp(o, "modified_at"),
  });
}

/** Writes `GET /api/version`'s reply. */
export function versionResponseToJson(msg: VersionResponse): OllamaVersionResponseJson {
  return { version: msg.version };
}

/** Reads `GET /api/version`'s reply. */
export function versionResponseFromJson(obj: unknown): VersionResponse {
  const o = reply(obj, "version response");
  return create(VersionResponseSchema, { version: readString(o, "version") });
}
