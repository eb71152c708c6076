import { CONFIG_OPTION, SERVE_OPTIONS } from "./options.js";

/** The `modelwire serve --help` text, generated from the option table. */
export function serveHelp(): string {
  const lines: string[] = [
    "Usage: modelwire serve [options]",
    "",
    "One gateway process that speaks the Ollama HTTP API, Connect/gRPC and MCP (the Model Communication",
    "Protocol) in front of one engine: the deterministic synthetic model, or a real Ollama (--upstream).",
    "Everything binds 127.0.0.1 unless --host says otherwise. When every listener is bound, one JSON line",
    '{"event":"ready",...} naming every address goes to stdout; logs go to stderr.',
    "",
    "Precedence: flags > environment variables > config file > defaults.",
  ];
  let group = "";
  for (const o of SERVE_OPTIONS) {
    if (o.group !== group) {
      group = o.group;
      lines.push("", `${group}:`);
    }
    const flag = o.kind === "switch" ? `--[no-]${o.flag}` : `--${o.flag} ${o.placeholder ?? "VALUE"}`;
    const dflt =
      o.defaultValue === undefined
        ? ""
        : `default ${o.kind === "switch" ? (o.defaultValue ? "on" : "off") : o.defaultValue}, `;
    const bound = o.max === undefined ? "" : `${o.exclusiveMax ? "below" : "at most"} ${o.max}, `;
    lines.push(row(flag, o.help), `${" ".repeat(30)}${dflt}${bound}env ${o.env}`);
  }
  lines.push(
    "",
    "Other:",
    row(`--${CONFIG_OPTION.flag} ${CONFIG_OPTION.placeholder}`, CONFIG_OPTION.help),
    `${" ".repeat(30)}env ${CONFIG_OPTION.env}`,
    row("-h, --help", "show this text"),
    "",
    "Admin listener (plain HTTP): GET /healthz, GET /metrics (Prometheus), GET /control/stats,",
    "POST /control/reset, POST /control/engine {ttftMs, interTokenMs, tokens, jitter, seed}.",
    "With a token, /control/* requires it; POSTs take only application/json and no foreign Origin.",
    "SIGTERM/SIGINT: stop accepting, let streams in flight finish within --grace-ms, exit 0.",
    "Invalid options exit with code 2 and a message naming the option.",
  );
  return `${lines.join("\n")}\n`;
}

function row(left: string, right: string): string {
  return left.length >= 28 ? `  ${left}\n${" ".repeat(30)}${right}` : `  ${left.padEnd(28)}${right}`;
}
