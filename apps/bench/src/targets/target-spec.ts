import { UsageError } from "../usage-error.js";

/** A server already running elsewhere, as `--target TRANSPORT=ADDRESS` names it. */
export interface TargetSpec {
  /** The bench transport that talks to it, e.g. `"http"`, `"mcp-tcp"`. */
  transport: string;
  /** The address as given on the command line (for the report). */
  address: string;
  /** The client URL: `http(s)://…` (HTTP, OpenAI, Connect), `tcp://` / `tls://host:port` or `unix:/path` (MCP). */
  url: string;
}

/** The transports a `--target` may name, and the address form each takes. */
export const TARGETABLE: Readonly<Record<string, string>> = {
  http: "http(s)://host:port (any Ollama-compatible server)",
  openai: "http(s)://host:port/v1 (any OpenAI-compatible server)",
  "connect-grpc": "http(s)://host:port (a modelwire gateway's Connect listener)",
  connect: "http(s)://host:port",
  "grpc-web": "http(s)://host:port",
  "mcp-tcp": "host:port, tcp://host:port or tls://host:port (a modelwire gateway's MCP listener)",
  "mcp-uds": "/path/to/socket or unix:/path (a modelwire gateway's MCP Unix socket)",
};

const MAX_ADDRESS = 2048;

function httpUrl(address: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(address);
  } catch {
    throw new UsageError(`${flag}: "${address}" is not a URL (expected http://host:port or https://host:port)`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new UsageError(`${flag}: "${address}" must be an http:// or https:// URL`);
  if (u.search || u.hash) throw new UsageError(`${flag}: "${address}" must not carry a query or fragment`);
  return `${u.origin}${u.pathname === "/" ? "" : u.pathname.replace(/\/$/, "")}`;
}

function hostPort(address: string, flag: string): string {
  const m = /^(?:(tcp|tls):\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(address);
  if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535)
    throw new UsageError(`${flag}: "${address}" must be host:port, tcp://host:port or tls://host:port`);
  return `${m[1] ?? "tcp"}://${m[2]}:${m[3]}`;
}

/** Parses one `--target TRANSPORT=ADDRESS`. Throws a {@link UsageError} naming the flag and what is wrong. */
export function parseTargetSpec(text: string): TargetSpec {
  const flag = `--target ${text.slice(0, 200)}`;
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1)
    throw new UsageError(`${flag}: expected TRANSPORT=ADDRESS, e.g. http=http://127.0.0.1:11434`);
  const transport = text.slice(0, eq).trim();
  const address = text.slice(eq + 1).trim();
  if (address.length > MAX_ADDRESS) throw new UsageError(`--target ${transport}: address longer than ${MAX_ADDRESS}`);
  if (!(transport in TARGETABLE))
    throw new UsageError(
      `${flag}: "${transport}" cannot take a target (targetable: ${Object.keys(TARGETABLE).join(", ")})`,
    );
  let url: string;
  if (transport === "mcp-tcp") url = hostPort(address, flag);
  else if (transport === "mcp-uds") {
    const path = address.startsWith("unix:") ? address.slice(5) : address;
    if (!path.startsWith("/")) throw new UsageError(`${flag}: the socket path must be absolute`);
    url = `unix:${path}`;
  } else url = httpUrl(address, flag);
  return { transport, address, url };
}

/** Parses every `--target`; a transport named twice is a usage error. */
export function parseTargetSpecs(list: readonly string[]): TargetSpec[] {
  const out = list.map(parseTargetSpec);
  const seen = new Set<string>();
  for (const t of out) {
    if (seen.has(t.transport)) throw new UsageError(`--target ${t.transport} given twice`);
    seen.add(t.transport);
  }
  return out;
}
