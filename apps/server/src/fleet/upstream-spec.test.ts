import { Code, ModelwireError } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { resolveServeConfig } from "../config.js";
import { parseUpstreamJson, parseUpstreamText, toUpstreamSpecs } from "./upstream-spec.js";

function failure(fn: () => unknown): ModelwireError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ModelwireError) return e;
    throw e;
  }
  throw new Error("did not fail");
}

describe("the --upstream list", () => {
  it("reads URLs with weights and stream limits, comma- or space-separated", () => {
    expect(parseUpstreamText("http://a:1,weight=2,max-streams=4 http://b:2", "--upstream")).toEqual([
      { url: "http://a:1", weight: 2, maxStreams: 4 },
      { url: "http://b:2", weight: 1 },
    ]);
    expect(parseUpstreamText("http://a:1,http://b:2 , weight=0.5", "--upstream")).toEqual([
      { url: "http://a:1", weight: 1 },
      { url: "http://b:2", weight: 0.5 },
    ]);
  });

  it("takes repeated flags, the environment and the config file's array of strings and objects", () => {
    const cfg = (argv: string[], env: Record<string, string> = {}, file?: unknown) => {
      const r = resolveServeConfig({ argv, env, readFile: () => JSON.stringify(file ?? {}) });
      if (r.help) throw new Error("help");
      return r.config.upstream;
    };
    expect(cfg(["--upstream", "http://a:1,weight=3", "--upstream=http://b:2"])).toEqual([
      { url: "http://a:1", weight: 3 },
      { url: "http://b:2", weight: 1 },
    ]);
    expect(cfg([], { MODELWIRE_UPSTREAM: "http://a:1 http://b:2,max-streams=2" })).toEqual([
      { url: "http://a:1", weight: 1 },
      { url: "http://b:2", weight: 1, maxStreams: 2 },
    ]);
    expect(
      cfg(["--config", "c.json"], {}, { upstream: ["http://a:1,weight=2", { url: "http://b:2", maxStreams: 8 }] }),
    ).toEqual([
      { url: "http://a:1", weight: 2 },
      { url: "http://b:2", weight: 1, maxStreams: 8 },
    ]);
    expect(cfg(["--config", "c.json"], {}, { upstream: "http://a:1" })).toEqual([{ url: "http://a:1", weight: 1 }]);
  });

  it.each([
    ["weight=2", "URL first"],
    ["http://a:1,weight=0", "weight must be a number above 0"],
    ["http://a:1,weight=-1", "weight must be"],
    ["http://a:1,weight=x", "weight must be"],
    ["http://a:1,weight=1001", "at most 1000"],
    ["http://a:1,weight", "weight must be"],
    ["http://a:1,max-streams=0", "max-streams must be an integer"],
    ["http://a:1,max-streams=1.5", "max-streams must be an integer"],
    ["http://a:1,speed=9", 'unknown upstream parameter "speed=9"'],
    ["ftp://a:1", "expected an http:// or https:// URL"],
    ["http://a:1 http://a:1/", "listed twice"],
    [" , ", "at least one upstream"],
  ])("refuses %j naming the flag (%s)", (text, message) => {
    const e = failure(() => parseUpstreamText(text, "--upstream"));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.metadata.option).toBe("--upstream");
    expect(e.rawMessage).toContain("--upstream: ");
    expect(e.rawMessage).toContain(message);
  });

  it("refuses a malformed config value naming the key, and the same URL given by two flags", () => {
    const key = 'config file key "upstream"';
    expect(failure(() => parseUpstreamJson(5, key)).rawMessage).toContain(`${key}: expected a URL string or an array`);
    expect(failure(() => parseUpstreamJson([{ url: "http://a:1", port: 3 }], key)).rawMessage).toContain(
      'unknown upstream field "port"',
    );
    expect(failure(() => parseUpstreamJson([{ weight: 3 }], key)).rawMessage).toContain("needs a url");
    expect(failure(() => parseUpstreamJson([{ url: "http://a:1", maxStreams: "4" }], key)).rawMessage).toContain(
      "max-streams must be",
    );
    expect(failure(() => parseUpstreamJson(Array(32).fill("http://a:1"), key)).rawMessage).toContain("at most 31");
    const twice = failure(() => resolveServeConfig({ argv: ["--upstream", "http://a:1", "--upstream", "http://a:1"] }));
    expect(twice.metadata.option).toBe("--upstream");
    expect(twice.rawMessage).toContain("listed twice");
  });

  it("normalises the in-process forms", () => {
    expect(toUpstreamSpecs(undefined)).toBeUndefined();
    expect(toUpstreamSpecs("http://a:1")).toEqual([{ url: "http://a:1", weight: 1 }]);
    expect(toUpstreamSpecs(["http://a:1", { url: "http://b:2", weight: 2 }])).toEqual([
      { url: "http://a:1", weight: 1 },
      { url: "http://b:2", weight: 2 },
    ]);
  });
});
