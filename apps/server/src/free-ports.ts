/**
 * The `modelwire serve` flags that put each of the gateway's listeners (HTTP, Connect, MCP over TCP, admin) on a free
 * loopback port, for whatever spawns a gateway and reads its addresses from the ready line: tests, the fault
 * campaign, the soak, the bench. The rest of such an argument list is each caller's own.
 */
export const FREE_PORT_ARGS: readonly string[] = [
  "--http-port",
  "0",
  "--connect-port",
  "0",
  "--mcp-port",
  "0",
  "--admin-port",
  "0",
];
