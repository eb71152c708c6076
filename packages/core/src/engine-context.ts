import type { EngineContext } from "./engine.js";
import type { ModelwireError } from "./error.js";

/** An {@link EngineContext} a server owns: it aborts the call. */
export interface EngineCallContext extends EngineContext {
  /** Fires the context's signal with `reason` (the first reason wins; later calls do nothing). */
  abort(reason: ModelwireError): void;
  /** The reason given to {@link EngineCallContext.abort}, once aborted. */
  readonly reason: ModelwireError | undefined;
  /** The request metadata {@link EngineContext.requestMetadata} reads (set once the server has decoded it). */
  metadata: Readonly<Record<string, string>> | undefined;
}

/**
 * An engine context whose AbortSignal is created only when something reads `signal` (an engine that waits, an
 * upstream call): a zero-delay engine that polls {@link EngineContext.aborted} never pays for an AbortController.
 * Aborting before the signal exists records the reason; a signal created afterwards is born aborted with it.
 */
export function createEngineContext(deadline?: number): EngineCallContext {
  return new LazyContext(deadline);
}

class LazyContext implements EngineCallContext {
  private controller: AbortController | undefined;
  reason: ModelwireError | undefined;
  aborted = false;
  metadata: Readonly<Record<string, string>> | undefined = undefined;
  constructor(readonly deadline: number | undefined) {}

  requestMetadata(key: string): string | undefined {
    const m = this.metadata;
    return m !== undefined && Object.hasOwn(m, key) ? m[key] : undefined;
  }

  get signal(): AbortSignal {
    let c = this.controller;
    if (c === undefined) {
      c = this.controller = new AbortController();
      if (this.aborted) c.abort(this.reason);
    }
    return c.signal;
  }

  abort(reason: ModelwireError): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}
