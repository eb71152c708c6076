import { Code, type ListenAddress, ModelwireError } from "@modelwire/core";

/** The gateway's ready line, parsed. */
export interface ReadyLine {
  event: "ready";
  pid: number;
  /** Milliseconds from process start to every listener bound. */
  startupMs: number;
  addresses: ListenAddress[];
}

/**
 * Parses and checks one line of a gateway's stdout as the ready line; throws `InvalidArgument` if it is not one
 * (so a launcher can tell a stray line from readiness).
 */
export function parseReadyLine(line: string): ReadyLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new ModelwireError(`not a ready line: ${line.slice(0, 200)}`, Code.InvalidArgument);
  }
  const r = v as Partial<ReadyLine> | null;
  if (
    r?.event !== "ready" ||
    typeof r.pid !== "number" ||
    typeof r.startupMs !== "number" ||
    !Array.isArray(r.addresses) ||
    !r.addresses.every((a) => a && typeof a.protocol === "string" && typeof a.url === "string")
  ) {
    throw new ModelwireError(`not a ready line: ${line.slice(0, 200)}`, Code.InvalidArgument);
  }
  return r as ReadyLine;
}
