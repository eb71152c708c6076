import { ModelwireError } from "@modelwire/core";

/** How a stream read to its end went: whether a chunk said `done`, and the error that ended it, if any. */
export interface StreamOutcome {
  sawDone: boolean;
  error: ModelwireError | undefined;
}

/** Reads `it` (chunks with a `done` flag) until it ends or fails, and says how it went; never throws. */
export async function readOutcome(it: AsyncIterator<{ done: boolean }>): Promise<StreamOutcome> {
  let sawDone = false;
  try {
    for (let r = await it.next(); !r.done; r = await it.next()) if (r.value.done) sawDone = true;
  } catch (e) {
    return { sawDone, error: ModelwireError.from(e) };
  }
  return { sawDone, error: undefined };
}
