import { ExitCode } from "../slo.js";

/** Why a target could not be used: a usage problem (exit 2) or a server that cannot be reached (exit 4). */
export type TargetProblem = "usage" | "unreachable";

/** A target that cannot be benchmarked, with the message the CLI prints (it names the flag). */
export class TargetError extends Error {
  override name = "TargetError";
  constructor(
    message: string,
    readonly problem: TargetProblem,
  ) {
    super(message);
  }

  /** The exit code the CLI returns for it. */
  get exitCode(): number {
    return this.problem === "usage" ? ExitCode.Usage : ExitCode.RunFailed;
  }
}
