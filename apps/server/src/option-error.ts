import { Code, ModelwireError } from "@modelwire/core";

/** An `InvalidArgument` naming the bad option (as `metadata.option`, and `field` for uniformity). */
export function badOption(option: string, message: string): ModelwireError {
  return new ModelwireError(`${option}: ${message}`, Code.InvalidArgument, { option, field: option });
}

/** A value shortened for an error message. */
export function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
