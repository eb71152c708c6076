import { Code, ModelwireError } from "@modelwire/core";

/** An `InvalidArgument` naming the bad option (as `metadata.option`, and `field` for uniformity). */
export function badOption(option: string, message: string): ModelwireError {
  return new ModelwireError(`${option}: ${message}`, Code.InvalidArgument, { option, field: option });
}

/** A value shortened for an error message. */
export function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** `raw` when it parses as an http:// or https:// URL; otherwise an {@link badOption} error naming `source`. */
export function checkHttpUrl(raw: string, source: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw badOption(source, `expected an http:// or https:// URL, got "${clip(raw)}"`);
  }
  return raw;
}
