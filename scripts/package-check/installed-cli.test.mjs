import { describe, expect, it } from "vitest";
import { readyOf } from "./installed-cli.mjs";

describe("readyOf", () => {
  it("reads the gateway's ready line and nothing else", () => {
    const line = JSON.stringify({ event: "ready", pid: 1, startupMs: 80, addresses: [{ protocol: "http", url: "u" }] });
    expect(readyOf(line)?.startupMs).toBe(80);
    expect(readyOf('{"event":"draining"}')).toBeUndefined();
    expect(readyOf('{"event":"ready"}')).toBeUndefined();
    expect(readyOf("modelwire: ready in 80 ms")).toBeUndefined();
    expect(readyOf("")).toBeUndefined();
  });
});
