import { Code, ModelwireError } from "@modelwire/core";

/** Ollama's default address. */
export const DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434";

/** A parsed Ollama base URL. */
export interface OllamaHost {
  /** `http://host:port` (or https), what a connection pool dials. */
  origin: string;
  /** A path prefix every API path goes under ("" or e.g. "/ollama"). */
  basePath: string;
}

/**
 * Resolves the Ollama address the way Ollama's own `envconfig.Host()` reads `OLLAMA_HOST`: no scheme means
 * `http` and port 11434 (`"example.com"` → `http://example.com:11434`, `":8080"` → `http://127.0.0.1:8080`); an
 * explicit `http://` without a port means 80 and `https://` 443; an empty host is 127.0.0.1; a path is kept as a
 * prefix; an invalid port falls back to the default. Only http and https are accepted.
 *
 * `value` defaults to `process.env.OLLAMA_HOST`, and an empty value to {@link DEFAULT_OLLAMA_HOST}.
 */
export function resolveOllamaHost(value: string | undefined = process.env.OLLAMA_HOST): OllamaHost {
  const s = (value ?? "").trim();
  if (s === "") return resolveOllamaHost(DEFAULT_OLLAMA_HOST);
  let scheme = "http";
  let rest = s;
  let defaultPort = "11434";
  const sep = s.indexOf("://");
  if (sep !== -1) {
    scheme = s.slice(0, sep).toLowerCase();
    rest = s.slice(sep + 3);
    if (scheme === "http") defaultPort = "80";
    else if (scheme === "https") defaultPort = "443";
    else {
      throw new ModelwireError(`unsupported scheme in Ollama host "${s}"`, Code.InvalidArgument, { field: "host" });
    }
  }
  const slash = rest.indexOf("/");
  const hostport = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? "" : rest.slice(slash).replace(/\/+$/, "");
  let host: string;
  let port: string;
  const split = splitHostPort(hostport);
  if (split) {
    host = split.host || "127.0.0.1";
    port = split.port;
  } else {
    host = hostport.replace(/^\[|\]$/g, "") || "127.0.0.1";
    port = defaultPort;
  }
  const n = Number(port);
  if (!/^\d+$/.test(port) || n > 65535) port = defaultPort;
  const h = host.includes(":") ? `[${host}]` : host;
  return { origin: `${scheme}://${h}:${port}`, basePath: path };
}

/** Go's `net.SplitHostPort`, reduced: `host:port` or `[v6]:port`; undefined when there is no port. */
function splitHostPort(s: string): { host: string; port: string } | undefined {
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    if (end === -1 || s[end + 1] !== ":") return undefined;
    return { host: s.slice(1, end), port: s.slice(end + 2) };
  }
  const i = s.lastIndexOf(":");
  if (i === -1 || s.indexOf(":") !== i) return undefined;
  return { host: s.slice(0, i), port: s.slice(i + 1) };
}
