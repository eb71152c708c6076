import { clampTimerMs, type InferenceClient, ModelwireError } from "@modelwire/core";

/** Options of {@link startUpstreamProbe}. */
export interface UpstreamProbeOptions {
  /** The gateway's client of the upstream (probes are not engine calls, so engine counters never count them). */
  client: InferenceClient;
  /** The upstream's URL, for the log lines. */
  url: string;
  /** Milliseconds between probes. */
  everyMs: number;
  /** Told the outcome of every probe (true: it answered). */
  onResult(up: boolean): void;
  /** Informational lines (and the warnings, unless `warn` is given). */
  log(line: string): void;
  /** Warning lines (the upstream does not answer). Default: `log`. */
  warn?(line: string): void;
}

/**
 * Asks the upstream `/api/version` now and then every `everyMs` (never two probes at once; each times out within
 * the interval, at most 3 s), reporting each outcome and logging each change: the first answer, the first failure,
 * and every switch between answering and not. Returns the function that stops it.
 */
export function startUpstreamProbe(options: UpstreamProbeOptions): () => void {
  const { client, url, everyMs, onResult, log } = options;
  const warn = options.warn ?? log;
  let last: boolean | undefined;
  let inFlight = false;
  let stopped = false;
  const probe = async () => {
    if (inFlight || stopped) return;
    inFlight = true;
    let up: boolean;
    let detail: string;
    try {
      const v = await client.version({ timeoutMs: Math.min(3_000, everyMs) });
      up = true;
      detail = `version ${v.version}`;
    } catch (e) {
      up = false;
      detail = ModelwireError.from(e).rawMessage;
    }
    inFlight = false;
    if (stopped) return;
    if (up !== last) {
      if (up) log(`modelwire: upstream ${url} answers${last === false ? " again" : ""}, ${detail}`);
      else warn(`modelwire: warning: upstream ${url} does not answer${last === undefined ? " yet" : ""}: ${detail}`);
    }
    last = up;
    onResult(up);
  };
  void probe();
  const timer = setInterval(() => void probe(), clampTimerMs(everyMs));
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
