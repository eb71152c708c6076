import { Code, type InferenceClient, type ListModelsResponse, ModelwireError } from "@modelwire/core";
import { request } from "undici";
import type { ProcessStats } from "../server-process.js";
import type { Endpoint, TransportPlugin } from "../transports.js";
import { TargetError } from "./target-error.js";
import type { TargetSpec } from "./target-spec.js";

/** How the bench reaches servers it did not start. */
export interface ForeignOptions {
  /** Sent as a bearer token (HTTP, OpenAI, Connect) or the MCP HELLO token. */
  authToken?: string;
  /** PEM text of a CA to trust for https:// and tls:// targets. */
  ca?: string;
  /** The model to ask for; default: the first model the first target lists. */
  model?: string;
  /** `/control/stats` URLs: one for every target, or per transport. */
  admin?: AdminSpec;
  /** The admin listener's token (default: `authToken`). */
  adminToken?: string;
}

/** `--admin URL` (every target) and `--admin TRANSPORT=URL` (one). */
export interface AdminSpec {
  all?: string;
  byTransport: Record<string, string>;
}

/** The wording for what a transport's server must be. */
function kindOf(transport: string): string {
  if (transport === "http") return "an Ollama-compatible server (GET /api/tags)";
  if (transport === "openai") return "an OpenAI-compatible server (GET /models)";
  return "a modelwire gateway";
}

/** Turns a probe failure into the error the CLI prints: unreachable → exit 4, anything else → exit 2. */
export function probeError(spec: TargetSpec, e: unknown): TargetError {
  const err = ModelwireError.from(e);
  const flag = `--target ${spec.transport}=${spec.address}`;
  if (err.code === Code.Unavailable || err.code === Code.DeadlineExceeded)
    return new TargetError(`${flag}: cannot reach it (${err.message})`, "unreachable");
  return new TargetError(`${flag}: does not answer as ${kindOf(spec.transport)}: ${err.message}`, "usage");
}

/** The model names a target lists (Ollama's `name`, or `model` when only that is set). */
export function modelNames(list: ListModelsResponse): string[] {
  return list.models.map((m) => m.name || m.model).filter((n): n is string => !!n);
}

/** True when `wanted` names one of `names` (Ollama adds `:latest` to a name without a tag). */
export function hasModel(names: readonly string[], wanted: string): boolean {
  const canon = (n: string) => (n.includes(":") ? n : `${n}:latest`);
  return names.some((n) => n === wanted || canon(n) === canon(wanted));
}

/** Asks a target for its models, within `timeoutMs`; throws {@link TargetError}. */
export async function probeModels(spec: TargetSpec, client: InferenceClient, timeoutMs = 10_000): Promise<string[]> {
  let names: string[];
  try {
    names = modelNames(await client.list({ timeoutMs }));
  } catch (e) {
    throw probeError(spec, e);
  }
  return names;
}

/**
 * Checks that every target has the model (`--model`, else the first one the first target lists) and returns it.
 * A target without it is a usage error naming the flag and the models it has.
 */
export function chooseModel(
  listed: ReadonlyArray<{ spec: TargetSpec; names: readonly string[] }>,
  wanted: string | undefined,
): string {
  const first = listed[0];
  const model = wanted ?? first?.names[0];
  if (model === undefined) {
    throw new TargetError(
      `--target ${first?.spec.transport}=${first?.spec.address} lists no models; pull one, or pass --model`,
      "usage",
    );
  }
  for (const { spec, names } of listed) {
    if (!hasModel(names, model)) {
      const has = names.length ? names.slice(0, 10).join(", ") : "none";
      throw new TargetError(
        `--model ${model}: --target ${spec.transport}=${spec.address} does not have it (it lists: ${has})`,
        "usage",
      );
    }
  }
  return model;
}

/** The `/control/stats` reader for a foreign server's admin URL (throws {@link TargetError} naming `--admin`). */
export function adminReader(url: string, token: string | undefined): () => Promise<ProcessStats> {
  const base = url.replace(/\/$/, "");
  return async () => {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(`${base}/control/stats`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
    } catch (e) {
      throw new TargetError(`--admin ${url}: cannot reach it (${(e as Error).message})`, "unreachable");
    }
    const text = await res.body.text();
    if (res.statusCode !== 200)
      throw new TargetError(
        `--admin ${url}: GET /control/stats answered ${res.statusCode} ${text.slice(0, 200)}`,
        "usage",
      );
    let v: Partial<ProcessStats>;
    try {
      v = JSON.parse(text) as Partial<ProcessStats>;
    } catch {
      throw new TargetError(`--admin ${url}: /control/stats is not JSON`, "usage");
    }
    if (typeof v.cpu?.userMicros !== "number" || typeof v.servers !== "object")
      throw new TargetError(`--admin ${url}: /control/stats is not a modelwire gateway's`, "usage");
    return v as ProcessStats;
  };
}

/** The endpoint a foreign target's client connects to. */
export function endpointOf(spec: TargetSpec, o: ForeignOptions): Endpoint {
  return {
    url: spec.url,
    ...(o.authToken !== undefined ? { authToken: o.authToken } : {}),
    ...(o.ca !== undefined ? { ca: o.ca } : {}),
  };
}

/** The admin URL that applies to a transport, if any. */
export function adminFor(transport: string, admin: AdminSpec | undefined): string | undefined {
  return admin?.byTransport[transport] ?? admin?.all;
}

/** A plugin by name among `plugins` (the caller checked the name). */
export function pluginOf(plugins: readonly TransportPlugin[], name: string): TransportPlugin {
  const p = plugins.find((x) => x.name === name);
  if (!p) throw new TargetError(`--target ${name}: no such transport`, "usage");
  return p;
}
