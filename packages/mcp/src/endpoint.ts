import { Code, ModelwireError } from "@modelwire/core";

/** Where an MCP peer listens: parsed from `tcp://host:port`, `tls://host:port` or `unix:/path/to.sock`. */
export type Endpoint =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "tls"; host: string; port: number }
  | { kind: "unix"; path: string };

/** The transport name of an endpoint kind: `"mcp-tcp"`, `"mcp-tls"` or `"mcp-uds"`. */
export function transportName(kind: Endpoint["kind"]): string {
  return kind === "unix" ? "mcp-uds" : `mcp-${kind}`;
}

/** Parses an MCP URL; throws `InvalidArgument` naming the `url` field for anything else. */
export function parseEndpoint(url: string): Endpoint {
  if (url.startsWith("unix:")) {
    const path = url.slice(5).replace(/^\/\/(?=\/)/, "");
    if (!path) throw new ModelwireError(`missing socket path in '${url}'`, Code.InvalidArgument, { field: "url" });
    return { kind: "unix", path };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ModelwireError(`invalid MCP url '${url}'`, Code.InvalidArgument, { field: "url" });
  }
  const kind = u.protocol === "tcp:" ? "tcp" : u.protocol === "tls:" ? "tls" : undefined;
  const port = Number(u.port);
  if (!kind || !u.hostname || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new ModelwireError(
      `MCP url must be tcp://host:port, tls://host:port or unix:/path, got '${url}'`,
      Code.InvalidArgument,
      {
        field: "url",
      },
    );
  }
  return { kind, host: u.hostname.replace(/^\[|\]$/g, ""), port };
}

/** Formats an endpoint as a URL (inverse of {@link parseEndpoint}). */
export function formatEndpoint(e: Endpoint): string {
  if (e.kind === "unix") return `unix:${e.path}`;
  const host = e.host.includes(":") ? `[${e.host}]` : e.host;
  return `${e.kind}://${host}:${e.port}`;
}
