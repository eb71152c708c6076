import { Code, clampTimerMs, ModelwireError } from "@modelwire/core";
import { resolveServeConfig } from "./config.js";
import { serveHelp } from "./help.js";

/** Exit code for invalid options (the message names the option). */
export const EXIT_USAGE = 2;
/** Exit code when the gateway cannot start (e.g. a port in use). */
export const EXIT_START_FAILED = 1;

/**
 * Runs `modelwire serve` (also `node apps/server/dist/main.js`): resolves the configuration (flags > env > config
 * file > defaults), starts the gateway, prints the ready line to stdout, and on SIGTERM/SIGINT drains within
 * `--grace-ms` and resolves with `process.exitCode` 0. A second signal exits at once with code 1. Invalid
 * options print a message naming the option to stderr and set exit code 2; a failed start sets exit code 1.
 * Resolves when the gateway has shut down (or at once for `--help` and errors).
 */
export async function runServeCli(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof resolveServeConfig>;
  try {
    parsed = resolveServeConfig({ argv });
  } catch (e) {
    const err = ModelwireError.from(e, Code.InvalidArgument);
    process.stderr.write(`modelwire serve: ${err.rawMessage}\n(run modelwire serve --help for every option)\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  if (parsed.help) {
    process.stdout.write(serveHelp());
    return;
  }
  const config = parsed.config;
  const log = (line: string) => {
    if (!config.quiet) process.stderr.write(`${line}\n`);
  };

  // Imported only now: --help and bad options never load the engine, prom-client or any protocol package.
  const { startGateway } = await import("./gateway.js");
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    // Warnings (a listener reachable from other machines without a token) are printed even with --quiet.
    gateway = await startGateway(config, log, (line) => process.stderr.write(`${line}\n`));
  } catch (e) {
    const err = ModelwireError.from(e);
    process.stderr.write(`modelwire serve: ${err.rawMessage}\n`);
    process.exitCode = err.code === Code.InvalidArgument ? EXIT_USAGE : EXIT_START_FAILED;
    return;
  }

  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        log(`modelwire: ${signal}: draining (delay ${config.drainDelayMs} ms, grace ${config.graceMs} ms)`);
        gateway.close().then(() => {
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
          process.exitCode = 0;
          resolve();
        });
        // Safety net: servers cut connections after the grace period; if one still hangs, do not hang with it.
        setTimeout(
          () => {
            process.stderr.write("modelwire: shutdown did not finish after the grace period; exiting\n");
            process.exit(EXIT_START_FAILED);
          },
          clampTimerMs(config.drainDelayMs + config.graceMs + 5_000),
        ).unref();
      } else {
        process.stderr.write(`modelwire: ${signal} again: exiting without waiting for streams in flight\n`);
        process.exit(EXIT_START_FAILED);
      }
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    process.stdout.write(`${gateway.readyLine()}\n`);
  });
}
