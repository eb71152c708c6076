/**
 * The check every case passes once before it is timed: encode → decode gives back a deep-equal value, so a wrong
 * codec cannot post a fast time.
 */

/** One measured case: a payload, an encoding, and the functions timed. `W` is the wire form (bytes or frames). */
export interface BenchCase<T = unknown, W = unknown> {
  /** `payload/encoding`, unique; what the filter matches. */
  readonly name: string;
  /** Payload class, e.g. `req-4k`. */
  readonly payload: string;
  /** Encoding, e.g. `protobuf`. */
  readonly encoding: string;
  /** The value timed. */
  readonly input: T;
  /** A different value of the same class, round-tripped alongside `input` to catch codecs that echo a cached value. */
  readonly probe: T;
  /** Encodes a value to its wire form. */
  encode(value: T): W;
  /** Decodes a wire form. */
  decode(wire: W): T;
  /** Bytes a wire form puts on the wire. */
  wireBytes(wire: W): number;
  /** Deep equality of two values. */
  equals(a: T, b: T): boolean;
}

/** Thrown when a case fails its round-trip check. */
export class RoundTripError extends Error {
  override readonly name = "RoundTripError";
  constructor(
    /** The case that failed. */
    readonly caseName: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${caseName}: ${message}`, options);
  }
}

/** What a passed check learned about the case. */
export interface RoundTripResult {
  /** Wire bytes of the case's input. */
  readonly bytes: number;
}

/**
 * Encodes `input` and `probe`, then decodes both (in that order) and demands each result deep-equal to its source
 * and not the source object itself. Throws {@link RoundTripError} on any difference or codec error.
 */
export function verifyRoundTrip<T, W>(c: BenchCase<T, W>): RoundTripResult {
  if (c.equals(c.input, c.probe))
    throw new RoundTripError(c.name, "input and probe are equal, so the check could not catch an echoing codec");
  let wireInput: W;
  let wireProbe: W;
  let outInput: T;
  let outProbe: T;
  try {
    wireInput = c.encode(c.input);
    wireProbe = c.encode(c.probe);
    outInput = c.decode(wireInput);
    outProbe = c.decode(wireProbe);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new RoundTripError(c.name, `codec threw: ${message.length > 200 ? `${message.slice(0, 200)}…` : message}`, {
      cause: e,
    });
  }
  const bytes = c.wireBytes(wireInput);
  if (!(bytes > 0)) throw new RoundTripError(c.name, `encoded to ${bytes} bytes`);
  if ((outInput as unknown) === c.input || (outProbe as unknown) === c.probe) {
    throw new RoundTripError(c.name, "decode returned the original object instead of a decoded copy");
  }
  if (!c.equals(outInput, c.input)) throw new RoundTripError(c.name, "decoded input differs from the original");
  if (!c.equals(outProbe, c.probe)) throw new RoundTripError(c.name, "decoded probe differs from the original");
  return { bytes };
}
