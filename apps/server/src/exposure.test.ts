import { describe, expect, it } from "vitest";
import { exposureWarnings, isLoopbackHost } from "./exposure.js";

describe("exposure", () => {
  it("tells loopback hosts from the rest", () => {
    for (const h of [
      "127.0.0.1",
      "127.1.2.3",
      "localhost",
      "LOCALHOST",
      "a.localhost",
      "::1",
      "[::1]",
      "::ffff:127.0.0.1",
    ]) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
    for (const h of [
      "0.0.0.0",
      "::",
      "[::]",
      "10.0.0.1",
      "192.168.1.2",
      "::ffff:10.0.0.1",
      "example.com",
      "128.0.0.1",
    ]) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });

  it("warns once per listener reachable from other machines without its token", () => {
    const addresses = [
      { protocol: "http", url: "http://0.0.0.0:11535" },
      { protocol: "connect", url: "http://[::]:11536" },
      { protocol: "mcp-tcp", url: "tcp://10.1.2.3:11537" },
      { protocol: "mcp-uds", url: "unix:/tmp/mcp.sock" },
      { protocol: "admin", url: "http://127.0.0.1:11538" },
    ];
    const open = exposureWarnings(addresses, {});
    expect(open).toHaveLength(3);
    expect(open[0]).toMatch(/^modelwire: warning: http listens on http:\/\/0\.0\.0\.0:11535.*--auth-token/);
    expect(open.join("\n")).not.toContain("mcp-uds");
    expect(open.join("\n")).not.toContain("admin");
    expect(exposureWarnings(addresses, { authToken: "t" })).toEqual([]);
    const admin = [{ protocol: "admin", url: "http://0.0.0.0:11538" }];
    expect(exposureWarnings(admin, {})).toHaveLength(1);
    expect(exposureWarnings(admin, { authToken: "t" })).toEqual([]);
    expect(exposureWarnings(admin, { adminToken: "a" })).toEqual([]);
    expect(exposureWarnings([{ protocol: "http", url: "http://127.0.0.1:1" }], {})).toEqual([]);
  });
});
