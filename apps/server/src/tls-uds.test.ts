import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnectClient } from "@modelwire/connect";
import { Code } from "@modelwire/core";
import { createMcpClient } from "@modelwire/mcp";
import { testTls } from "@modelwire/test-kit";
import { afterAll, describe, expect, it } from "vitest";
import { expectedGenerate, failureOf, runGenerate } from "./test-support/clients.js";
import { gatewaysAfterEach } from "./test-support/gateways.js";

const dir = mkdtempSync(join(tmpdir(), "modelwire-serve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { clients, start } = gatewaysAfterEach();

describe("modelwire serve over TLS and a Unix socket", () => {
  it("serves Connect/gRPC (h2) and MCP (tls://) with --tls-cert/--tls-key, with auth", async () => {
    const { ca, files } = testTls;
    const gw = await start(["--tls-cert", files.cert, "--tls-key", files.key, "--auth-token", "tok"]);
    expect(gw.url("connect")).toMatch(/^https:\/\//);
    expect(gw.url("mcp-tls")).toMatch(/^tls:\/\//);
    expect(gw.ready.addresses.some((a) => a.protocol === "mcp-tcp")).toBe(false);
    const grpc = createConnectClient({ baseUrl: gw.url("connect"), retry: false, tls: { ca }, authToken: "tok" });
    const mcp = createMcpClient({ url: gw.url("mcp-tls"), tls: { ca }, authToken: "tok", reconnect: false });
    const anon = createMcpClient({ url: gw.url("mcp-tls"), tls: { ca }, reconnect: false });
    clients.push(grpc, mcp, anon);
    for (const c of [grpc, mcp]) {
      const req = { model: "synthetic", prompt: `tls ${c.transport}` };
      expect((await runGenerate(c, req, expectedGenerate({}, req))).intact, c.transport).toBe(true);
    }
    expect((await failureOf(() => anon.list())).code).toBe(Code.Unauthenticated);
  });

  it("serves MCP on --mcp-socket alongside TCP", async () => {
    const path = join(dir, "mcp.sock");
    const gw = await start(["--mcp-socket", path]);
    expect(gw.url("mcp-uds")).toBe(`unix:${path}`);
    const c = createMcpClient({ url: gw.url("mcp-uds"), reconnect: false });
    clients.push(c);
    const req = { model: "synthetic", prompt: "over a unix socket" };
    expect((await runGenerate(c, req, expectedGenerate({}, req))).intact).toBe(true);
    const stats = (await (await fetch(`${gw.url("admin")}/control/stats`)).json()) as {
      servers: { mcp: { bytesIn: number } };
    };
    expect(stats.servers.mcp.bytesIn).toBeGreaterThan(0);
  });
});
