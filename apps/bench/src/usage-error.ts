/** A bad flag or value (exit code 2). */
export class UsageError extends Error {
  override name = "UsageError";
}
