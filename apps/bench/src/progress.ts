/** Progress output: a live status line on a TTY, plain lines otherwise. */
export interface Progress {
  /** A permanent line. */
  line(text: string): void;
  /** A transient status (overwritten on a TTY, dropped elsewhere unless `plainStatus`). */
  status(text: string): void;
  /** Clears any status line. */
  done(): void;
}

/** Creates a progress display on `stream` (stdout by default); `quiet` prints nothing. */
export function createProgress(opts: { stream?: NodeJS.WriteStream; quiet?: boolean } = {}): Progress {
  const out = opts.stream ?? process.stdout;
  const tty = out.isTTY === true;
  let statusShown = false;
  const clear = () => {
    if (statusShown) out.write("\r\x1b[2K");
    statusShown = false;
  };
  if (opts.quiet) return { line() {}, status() {}, done() {} };
  return {
    line(text) {
      clear();
      out.write(`${text}\n`);
    },
    status(text) {
      if (!tty) return;
      clear();
      const cols = out.columns ?? 100;
      out.write(text.length > cols - 1 ? text.slice(0, cols - 1) : text);
      statusShown = true;
    },
    done: clear,
  };
}
