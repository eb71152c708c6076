import { describe, expect, it } from "vitest";
import { parseBenchArgs } from "../cli.js";
import { parseTargetArgs } from "./target-args.js";
import { directName, directTransports, isDirect } from "./upstreams.js";

const base = { knobs: [] as string[] };

describe("several --upstream", () => {
  it("names one baseline per upstream: direct alone, direct-N for several", () => {
    expect(directName(0, 1)).toBe("direct");
    expect(directTransports(["http://a:1", "http://b:2"]).map((t) => t.name)).toEqual(["direct-1", "direct-2"]);
    expect(directTransports(["http://a:1", "http://b:2"])[1].description).toContain("http://b:2");
    expect(["direct", "direct-3", "direct-x", "http"].map(isDirect)).toEqual([true, true, false, false]);
  });

  it("runs every upstream's baseline and every gateway wire, in that order", async () => {
    const a = await parseTargetArgs({ ...base, upstream: ["http://127.0.0.1:1", "http://127.0.0.1:2"] });
    expect(a.upstream).toBe("http://127.0.0.1:1");
    expect(a.upstreams).toEqual(["http://127.0.0.1:1", "http://127.0.0.1:2"]);
    const names = a.transports?.map((t) => t.name) ?? [];
    expect(names.slice(0, 3)).toEqual(["direct-1", "direct-2", "http"]);
    expect(names).toContain("mcp-tcp");
    expect(names).not.toContain("direct");
    // --transports picks the wires; the baselines always run, and only the ones that exist may be named.
    const b = await parseTargetArgs({
      ...base,
      upstream: ["http://127.0.0.1:1", "http://127.0.0.1:2"],
      transports: "direct-2,mcp-tcp",
    });
    expect(b.transports?.map((t) => t.name)).toEqual(["direct-1", "direct-2", "mcp-tcp"]);
    await expect(
      parseTargetArgs({ ...base, upstream: ["http://127.0.0.1:1", "http://127.0.0.1:2"], transports: "direct-3" }),
    ).rejects.toThrow(/--transports direct-3: with 2 upstreams the baselines are direct-1, direct-2/);
    await expect(parseTargetArgs({ ...base, transports: "direct-1,http" })).rejects.toThrow(/needs --upstream/);
  });

  it("refuses the same upstream twice, a bad URL naming --upstream, and more than the gateway's 31", async () => {
    await expect(parseTargetArgs({ ...base, upstream: ["http://h:1", "http://h:1/"] })).rejects.toThrow(
      /--upstream http:\/\/h:1\/: given twice/,
    );
    await expect(parseTargetArgs({ ...base, upstream: ["http://h:1", "h:2"] })).rejects.toThrow(/^--upstream h:2/);
    const many = Array.from({ length: 32 }, (_, i) => `http://h:${i + 1}`);
    await expect(parseTargetArgs({ ...base, upstream: many })).rejects.toThrow(/at most 31, got 32/);
  });

  it("the CLI passes every upstream on, and keeps one --upstream as before", async () => {
    const two = await parseBenchArgs(["--upstream", "http://h:1", "--upstream", "http://h:2", "--transports", "http"]);
    expect(two.config.upstream).toBe("http://h:1");
    expect(two.config.upstreams).toEqual(["http://h:1", "http://h:2"]);
    expect(two.config.transports.map((t) => t.name)).toEqual(["direct-1", "direct-2", "http"]);
    const one = await parseBenchArgs(["--upstream", "http://h:1", "--transports", "http"]);
    expect(one.config.upstreams).toBeUndefined();
    expect(one.config.transports.map((t) => t.name)).toEqual(["direct", "http"]);
  });
});
