import { Code } from "./code.js";

/**
 * The one table that maps codes to HTTP statuses, used by the Ollama-compatible server (a failed request's status)
 * and, read backwards, by the HTTP client (a status to a code). Documented in docs/errors.md.
 *
 * Ollama itself only sends 400, 404, 500 and 503 for these cases; the others follow the Connect protocol's mapping.
 */
export const codeToHttpStatus: Readonly<Record<Code, number>> = {
  [Code.Ok]: 200,
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 503,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/**
 * Maps an HTTP status to a code (the reading a client applies to an error response).
 * 503 reads as `Unavailable` — a retryable status — except where the body says the server is busy, which the HTTP
 * client turns into `ResourceExhausted` itself.
 */
export function httpStatusToCode(status: number): Code {
  switch (status) {
    case 400:
      return Code.InvalidArgument;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.NotFound;
    case 408:
    case 504:
      return Code.DeadlineExceeded;
    case 409:
      return Code.Aborted;
    case 413:
    case 429:
      return Code.ResourceExhausted;
    case 499:
      return Code.Canceled;
    case 501:
      return Code.Unimplemented;
    case 502:
    case 503:
      return Code.Unavailable;
    default:
      if (status >= 200 && status < 300) return Code.Ok;
      if (status >= 400 && status < 500) return Code.InvalidArgument;
      return status >= 500 ? Code.Internal : Code.Unknown;
  }
}
