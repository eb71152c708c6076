import { readFileSync } from "node:fs";

/** The `modelwire --help` text. */
export function topHelp(): string {
  return [
    "Usage: modelwire <command> [options]",
    "",
    "Call a local LLM server over MCP (the Model Communication Protocol), Connect/gRPC and the Ollama HTTP API,",
    "and measure which wire is fastest and why.",
    "",
    "Commands:",
    "  serve    run the gateway: every protocol in front of one engine (synthetic model or --upstream Ollama)",
    "  bench    benchmark the protocols against a gateway",
    "",
    "Options:",
    "  -h, --help       show this text (modelwire <command> --help documents every option of a command)",
    "  -v, --version    print the version",
    "",
  ].join("\n");
}

/**
 * Runs the `modelwire` command line and resolves to the exit code: 0 on success, 2 for usage errors, otherwise
 * what the sub-command reports. `serve` resolves after the gateway has shut down.
 */
export async function runModelwireCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case "help":
    case "-h":
    case "--help":
      if (command === "help" && rest[0] === "serve") return runModelwireCli(["serve", "--help"]);
      if (command === "help" && rest[0] === "bench") return runModelwireCli(["bench", "--help"]);
      if (command === undefined) {
        process.stderr.write(topHelp());
        return 2;
      }
      process.stdout.write(topHelp());
      return 0;
    case "-v":
    case "--version":
      process.stdout.write(`${version()}\n`);
      return 0;
    case "serve": {
      // The bundled serve entry: one file to load instead of hundreds of modules (start-up time and RSS).
      const { runServeCli } = await import("@modelwire/server/serve");
      await runServeCli(rest);
      return typeof process.exitCode === "number" ? process.exitCode : 0;
    }
    case "bench": {
      // Imported only for `modelwire bench`: serving never loads the load generator or report code.
      const { runBenchCli } = await import("@modelwire/bench");
      return runBenchCli(rest);
    }
    default:
      process.stderr.write(
        `modelwire: unknown command "${command.slice(0, 80)}" (expected serve or bench; see modelwire --help)\n`,
      );
      return 2;
  }
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}
