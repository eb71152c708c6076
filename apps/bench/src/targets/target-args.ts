import { readFile } from "node:fs/promises";
import { DEFAULT_TRANSPORTS, selectTransports, TRANSPORTS, type TransportPlugin } from "../transports.js";
import { UsageError } from "../usage-error.js";
import type { AdminSpec, ForeignOptions } from "./foreign.js";
import { parseTargetSpec, parseTargetSpecs, TARGETABLE, type TargetSpec } from "./target-spec.js";
import { directTransports, isDirect } from "./upstreams.js";

/** The flags about servers the bench does not start, as `parseArgs` gives them. */
export interface TargetFlags {
  target?: string[];
  /** `--upstream`, repeatable (a string: one). */
  upstream?: string | string[];
  model?: string;
  "auth-token"?: string;
  ca?: string;
  admin?: string[];
  "admin-token"?: string;
  /** `--transports`, when given. */
  transports?: string;
  /** Engine knob flags given (they are refused with a foreign engine). */
  knobs: string[];
  ladder?: boolean;
}

/** What the target flags decide. */
export interface TargetArgs {
  targets: TargetSpec[];
  /** The first `--upstream` (the only one, unless several were given). */
  upstream?: string;
  /** Every `--upstream`, in order (several: the gateway runs in front of a fleet; each has its own direct). */
  upstreams?: string[];
  foreign: ForeignOptions;
  /** The transports to run, when the target flags decide them (no `--transports`). */
  transports?: TransportPlugin[];
}

const MAX_CA = 1024 * 1024;

function parseAdmin(list: readonly string[]): AdminSpec {
  const out: AdminSpec = { byTransport: {} };
  for (const a of list) {
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : "";
    const scoped = name in TARGETABLE;
    const url = scoped ? a.slice(eq + 1) : a;
    try {
      const u = new URL(url);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
    } catch {
      throw new UsageError(
        `--admin ${a.slice(0, 200)}: expected URL or TRANSPORT=URL (http://host:port of the admin listener)`,
      );
    }
    if (scoped) out.byTransport[name] = url;
    else if (out.all !== undefined) throw new UsageError("--admin URL given twice (scope one: --admin mcp-tcp=URL)");
    else out.all = url;
  }
  return out;
}

function selectTransportsOrUsage(names: readonly string[]): TransportPlugin[] {
  try {
    return selectTransports(names);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The most `--upstream`s (the gateway's fleet limit). */
export const MAX_UPSTREAMS = 31;

/** Parses the `--upstream` list: each an http(s) URL, none twice, at most {@link MAX_UPSTREAMS}. */
function parseUpstreams(given: string | readonly string[] | undefined): string[] {
  const list = given === undefined ? [] : typeof given === "string" ? [given] : [...given];
  if (list.length > MAX_UPSTREAMS) throw new UsageError(`--upstream: at most ${MAX_UPSTREAMS}, got ${list.length}`);
  const out: string[] = [];
  for (const u of list) {
    let url: string;
    try {
      url = parseTargetSpec(`http=${u}`).url;
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/^--target http=/, "--upstream "));
    }
    if (out.includes(url)) throw new UsageError(`--upstream ${u.slice(0, 200)}: given twice`);
    out.push(url);
  }
  return out;
}

/**
 * Parses `--target`, `--upstream`, `--model`, `--auth-token`, `--ca`, `--admin` and `--admin-token`, and decides the
 * transports when `--transports` is not given: the targeted ones, plus with `--upstream` the `direct` baseline and
 * every gateway wire. Engine knobs (`--ttft-ms` …) with a foreign engine are a usage error: they only apply to a
 * gateway the bench starts with the synthetic engine.
 */
export async function parseTargetArgs(f: TargetFlags): Promise<TargetArgs> {
  const targets = parseTargetSpecs(f.target ?? []);
  const upstreams = parseUpstreams(f.upstream);
  const upstream: string | undefined = upstreams[0];
  const foreign: ForeignOptions = {};
  const hasForeign = targets.length > 0 || upstream !== undefined;
  if (!hasForeign) {
    for (const flag of ["model", "auth-token", "ca", "admin", "admin-token"] as const)
      if (f[flag] !== undefined) throw new UsageError(`--${flag} applies to --target or --upstream servers; give one`);
    if (f.transports?.split(",").some((t) => isDirect(t.trim())))
      throw new UsageError("the direct transport needs --upstream URL (it talks to the upstream without the gateway)");
    return { targets, foreign };
  }
  if (f.knobs.length > 0)
    throw new UsageError(
      `${f.knobs.join(", ")}: engine knobs set the synthetic engine of a gateway the bench starts; with --target or --upstream the engine is not the bench's (drop ${f.knobs.length > 1 ? "them" : "it"})`,
    );
  if (f.ladder)
    throw new UsageError("--ladder runs on a gateway the bench starts; it does not take --target or --upstream");
  if (f.model !== undefined) {
    if (f.model.trim() === "" || f.model.length > 512) throw new UsageError("--model must be a model name");
    foreign.model = f.model;
  }
  if (f["auth-token"] !== undefined) foreign.authToken = f["auth-token"];
  if (f["admin-token"] !== undefined) foreign.adminToken = f["admin-token"];
  if (f.admin) foreign.admin = parseAdmin(f.admin);
  if (f.ca !== undefined) {
    let pem: string;
    try {
      pem = await readFile(f.ca, "utf8");
    } catch (e) {
      throw new UsageError(`--ca ${f.ca}: cannot read it (${(e as Error).message})`);
    }
    if (pem.length > MAX_CA || !pem.includes("-----BEGIN CERTIFICATE-----"))
      throw new UsageError(`--ca ${f.ca}: not a PEM certificate file (at most 1 MiB)`);
    foreign.ca = pem;
  }
  for (const name of Object.keys(foreign.admin?.byTransport ?? {}))
    if (!targets.some((t) => t.transport === name))
      throw new UsageError(`--admin ${name}=…: there is no --target ${name}`);
  let transports: TransportPlugin[] | undefined;
  if (f.transports === undefined) {
    const wanted = new Set(targets.map((t) => t.transport));
    if (upstream !== undefined) for (const t of DEFAULT_TRANSPORTS) if (t.server === "gateway") wanted.add(t.name);
    transports = [
      ...(upstream !== undefined ? directTransports(upstreams) : []),
      ...TRANSPORTS.filter((t) => wanted.has(t.name)),
    ];
  } else {
    const named = f.transports.split(",").map((s) => s.trim());
    for (const t of targets)
      if (!named.includes(t.transport) && !named.includes("all"))
        throw new UsageError(`--target ${t.transport}=…: --transports does not select ${t.transport}`);
    if (upstream === undefined && named.some(isDirect))
      throw new UsageError("the direct transport needs --upstream URL");
    if (upstreams.length > 1) {
      // Every upstream's direct baseline runs; the other names are looked up as usual.
      const directs = directTransports(upstreams);
      for (const n of named.filter(isDirect))
        if (!directs.some((d) => d.name === n))
          throw new UsageError(
            `--transports ${n}: with ${upstreams.length} upstreams the baselines are ${directs.map((d) => d.name).join(", ")}`,
          );
      const rest = named.filter((n) => !isDirect(n));
      transports = [...directs, ...(rest.length > 0 ? selectTransportsOrUsage(rest) : [])];
    }
  }
  return {
    targets,
    ...(upstream !== undefined ? { upstream, upstreams } : {}),
    foreign,
    ...(transports ? { transports } : {}),
  };
}
