/**
 * The `--upstream` list: one or more Ollama base URLs, each with an optional weight and a limit on its streams in
 * flight. Pure parsing and checking; the errors name the option they came from (`--upstream`, `MODELWIRE_UPSTREAM`,
 * `config file key "upstream"`), so a malformed list is a usage error (exit 2).
 *
 * @module
 */

import { badOption, checkHttpUrl, clip } from "../option-error.js";
import { MAX_ROUTED_UPSTREAMS } from "./route.js";

/** One upstream Ollama of the gateway. */
export interface UpstreamSpec {
  /** Its base URL (`http://` or `https://`). */
  url: string;
  /** Its share when several upstreams are equally loaded (a positive number; default 1). */
  weight: number;
  /** Streams (generate, chat, embed) it may hold at once; unset = only the gateway's `--max-streams` bounds it. */
  maxStreams?: number;
}

/** What {@link toUpstreamSpecs} takes: a URL, a spec, or a list of either (the in-process forms). */
export type UpstreamInput = string | UpstreamSpec | Partial<UpstreamSpec> | readonly (string | Partial<UpstreamSpec>)[];

/** Most upstreams one gateway takes (the router tracks an attempt's tried upstreams in a 31-bit mask). */
export const MAX_UPSTREAMS = MAX_ROUTED_UPSTREAMS;
/** Largest weight. */
export const MAX_WEIGHT = 1000;
/** Largest per-upstream stream limit. */
export const MAX_UPSTREAM_STREAMS = 1_000_000;

/**
 * Parses upstream text: URLs separated by commas or white space, each followed by its optional parameters
 * `weight=N` and `max-streams=N` (also comma- or space-separated):
 * `http://a:11434,weight=2,max-streams=4 http://b:11434`. A word with `://` starts the next upstream.
 */
export function parseUpstreamText(text: string, source: string): UpstreamSpec[] {
  const words = text.split(/[\s,]+/).filter((w) => w !== "");
  if (words.length === 0) throw badOption(source, "expected at least one upstream URL");
  const out: UpstreamSpec[] = [];
  for (const word of words) {
    if (word.includes("://")) {
      out.push({ url: checkUrl(word, source), weight: 1 });
      continue;
    }
    const current = out.at(-1);
    if (!current) throw badOption(source, `expected an http:// or https:// URL first, got "${clip(word)}"`);
    const eq = word.indexOf("=");
    const key = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? "" : word.slice(eq + 1);
    if (key === "weight") current.weight = checkWeight(numberOf(value), source, value);
    else if (key === "max-streams") current.maxStreams = checkStreams(numberOf(value), source, value);
    else {
      throw badOption(
        source,
        `unknown upstream parameter "${clip(word)}" after ${clip(current.url)} (expected weight=N or max-streams=N)`,
      );
    }
  }
  return checkSpecs(out, source);
}

/**
 * Reads a config file's `upstream` value: a string (as {@link parseUpstreamText}), or an array of such strings
 * and objects `{url, weight?, maxStreams?}`.
 */
export function parseUpstreamJson(value: unknown, source: string): UpstreamSpec[] {
  if (typeof value === "string") return parseUpstreamText(value, source);
  if (!Array.isArray(value)) {
    throw badOption(source, `expected a URL string or an array of upstreams, got ${clip(JSON.stringify(value))}`);
  }
  if (value.length > MAX_UPSTREAMS) throw badOption(source, `at most ${MAX_UPSTREAMS} upstreams`);
  const out: UpstreamSpec[] = [];
  for (const item of value) {
    if (typeof item === "string") out.push(...parseUpstreamText(item, source));
    else out.push(specFromObject(item, source));
  }
  return checkSpecs(out, source);
}

/** Normalises the in-process forms (a URL, a spec, a list) into checked specs; `undefined` stays `undefined`. */
export function toUpstreamSpecs(input: UpstreamInput | undefined, source = "upstream"): UpstreamSpec[] | undefined {
  if (input === undefined) return undefined;
  const list = (Array.isArray(input) ? input : [input]) as readonly (string | Partial<UpstreamSpec>)[];
  const out: UpstreamSpec[] = [];
  for (const item of list) {
    if (typeof item === "string") out.push(...parseUpstreamText(item, source));
    else out.push(specFromObject(item, source));
  }
  return checkSpecs(out, source);
}

/**
 * Checks a whole list: at least one, at most {@link MAX_UPSTREAMS}, no URL twice (compared as parsed origins and
 * paths, so `http://a:11434` and `http://a:11434/` are the same upstream).
 */
export function checkSpecs(specs: UpstreamSpec[], source: string): UpstreamSpec[] {
  if (specs.length === 0) throw badOption(source, "expected at least one upstream URL");
  if (specs.length > MAX_UPSTREAMS) throw badOption(source, `at most ${MAX_UPSTREAMS} upstreams`);
  const seen = new Set<string>();
  for (const s of specs) {
    const key = sameUpstreamKey(s.url);
    if (seen.has(key)) throw badOption(source, `${clip(s.url)} is listed twice`);
    seen.add(key);
  }
  return specs;
}

function sameUpstreamKey(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname.replace(/\/+$/, "")}`;
}

function specFromObject(item: unknown, source: string): UpstreamSpec {
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    throw badOption(source, `expected a URL string or {url, weight, maxStreams}, got ${clip(JSON.stringify(item))}`);
  }
  const o = item as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== "url" && k !== "weight" && k !== "maxStreams") {
      throw badOption(source, `unknown upstream field "${clip(k)}" (expected url, weight, maxStreams)`);
    }
  }
  if (typeof o.url !== "string") throw badOption(source, "every upstream needs a url string");
  const spec: UpstreamSpec = { url: checkUrl(o.url, source), weight: 1 };
  if (o.weight !== undefined) spec.weight = checkWeight(o.weight, source, JSON.stringify(o.weight));
  if (o.maxStreams !== undefined) spec.maxStreams = checkStreams(o.maxStreams, source, JSON.stringify(o.maxStreams));
  return spec;
}

function numberOf(text: string): number {
  return text.trim() === "" ? Number.NaN : Number(text);
}

function checkUrl(raw: string, source: string): string {
  if (raw.length > 2048) throw badOption(source, "an upstream URL longer than 2048 characters");
  return checkHttpUrl(raw, source);
}

function checkWeight(v: unknown, source: string, shown: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > MAX_WEIGHT) {
    throw badOption(source, `weight must be a number above 0 and at most ${MAX_WEIGHT}, got ${clip(shown)}`);
  }
  return v;
}

function checkStreams(v: unknown, source: string, shown: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_UPSTREAM_STREAMS) {
    throw badOption(source, `max-streams must be an integer from 1 to ${MAX_UPSTREAM_STREAMS}, got ${clip(shown)}`);
  }
  return v;
}
