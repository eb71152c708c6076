import { describe, expect, it } from "vitest";
import { UsageError } from "../usage-error.js";
import { chooseModel, hasModel, probeError } from "./foreign.js";
import { parseTargetArgs } from "./target-args.js";
import { parseTargetSpec, parseTargetSpecs } from "./target-spec.js";

describe("--target TRANSPORT=ADDRESS", () => {
  it("normalizes each transport's address form", () => {
    expect(parseTargetSpec("http=http://127.0.0.1:11434/").url).toBe("http://127.0.0.1:11434");
    expect(parseTargetSpec("openai=https://example.com/v1").url).toBe("https://example.com/v1");
    expect(parseTargetSpec("connect-grpc=https://[::1]:50051").url).toBe("https://[::1]:50051");
    expect(parseTargetSpec("mcp-tcp=127.0.0.1:7000").url).toBe("tcp://127.0.0.1:7000");
    expect(parseTargetSpec("mcp-tcp=tls://gw.local:7000").url).toBe("tls://gw.local:7000");
    expect(parseTargetSpec("mcp-uds=/run/mw.sock").url).toBe("unix:/run/mw.sock");
    expect(parseTargetSpec("mcp-uds=unix:/run/mw.sock").url).toBe("unix:/run/mw.sock");
  });

  it("refuses malformed entries, naming the flag", () => {
    const bad = [
      ["http", /expected TRANSPORT=ADDRESS/],
      ["http=", /expected TRANSPORT=ADDRESS/],
      ["=http://x:1", /expected TRANSPORT=ADDRESS/],
      ["grpc-js=http://x:1", /cannot take a target/],
      ["direct=http://x:1", /cannot take a target/],
      ["http=127.0.0.1:11434", /not a URL/],
      ["http=ftp://x:1", /http:\/\/ or https:\/\//],
      ["http=http://x:1/?a=b", /query/],
      ["mcp-tcp=x", /host:port/],
      ["mcp-tcp=x:99999", /host:port/],
      ["mcp-uds=relative.sock", /absolute/],
    ] as const;
    for (const [text, re] of bad) {
      expect(() => parseTargetSpec(text), text).toThrow(UsageError);
      expect(() => parseTargetSpec(text), text).toThrow(re);
      expect(() => parseTargetSpec(text), text).toThrow(/--target/);
    }
    expect(() => parseTargetSpecs(["http=http://a:1", "http=http://b:1"])).toThrow(/given twice/);
  });
});

describe("target flags", () => {
  const base = { knobs: [] as string[] };
  it("runs only the targeted transports, plus direct and every gateway wire with --upstream", async () => {
    const a = await parseTargetArgs({ ...base, target: ["mcp-tcp=h:1", "http=http://h:2"] });
    expect(a.transports?.map((t) => t.name)).toEqual(["http", "mcp-tcp"]);
    const u = await parseTargetArgs({ ...base, upstream: "http://127.0.0.1:11434" });
    expect(u.upstream).toBe("http://127.0.0.1:11434");
    expect(u.transports?.map((t) => t.name)).toEqual([
      "direct",
      "http",
      "openai",
      "connect-grpc",
      "connect",
      "grpc-web",
      "mcp-tcp",
      "mcp-uds",
    ]);
  });

  it("refuses engine knobs, the ladder and stray flags with a clear usage error", async () => {
    await expect(parseTargetArgs({ ...base, target: ["http=http://h:1"], knobs: ["--ttft-ms"] })).rejects.toThrow(
      /--ttft-ms: engine knobs set the synthetic engine of a gateway the bench starts/,
    );
    await expect(parseTargetArgs({ ...base, upstream: "http://h:1", ladder: true })).rejects.toThrow(/--ladder/);
    await expect(parseTargetArgs({ ...base, model: "x" })).rejects.toThrow(/--model applies to --target/);
    await expect(parseTargetArgs({ ...base, transports: "direct" })).rejects.toThrow(
      /direct transport needs --upstream/,
    );
    await expect(parseTargetArgs({ ...base, upstream: "localhost:11434" })).rejects.toThrow(/^--upstream /);
    await expect(
      parseTargetArgs({ ...base, target: ["http=http://h:1"], admin: ["mcp-tcp=http://h:9"] }),
    ).rejects.toThrow(/there is no --target mcp-tcp/);
    await expect(parseTargetArgs({ ...base, target: ["http=http://h:1"], ca: "/nonexistent.pem" })).rejects.toThrow(
      /--ca \/nonexistent.pem: cannot read it/,
    );
    await expect(parseTargetArgs({ ...base, target: ["mcp-tcp=h:1"], transports: "http" })).rejects.toThrow(
      /--transports does not select mcp-tcp/,
    );
  });

  it("scopes --admin per transport or to every target", async () => {
    const a = await parseTargetArgs({
      ...base,
      target: ["http=http://h:1", "mcp-tcp=h:2"],
      admin: ["http://gw:9", "mcp-tcp=http://gw2:9"],
    });
    expect(a.foreign.admin).toEqual({ all: "http://gw:9", byTransport: { "mcp-tcp": "http://gw2:9" } });
  });
});

describe("choosing the model and naming probe failures", () => {
  const spec = { transport: "http", address: "http://h:1", url: "http://h:1" };
  it("takes --model when every target has it, else the first model listed", () => {
    expect(chooseModel([{ spec, names: ["a:1b", "b:latest"] }], undefined)).toBe("a:1b");
    expect(chooseModel([{ spec, names: ["a:1b", "b:latest"] }], "b")).toBe("b");
    expect(hasModel(["llama3.2:latest"], "llama3.2")).toBe(true);
    expect(() => chooseModel([{ spec, names: ["a:1b"] }], "c")).toThrow(
      /--model c: --target http=http:\/\/h:1 does not have it \(it lists: a:1b\)/,
    );
    expect(() => chooseModel([{ spec, names: [] }], undefined)).toThrow(/lists no models/);
  });

  it("calls an unreachable target exit 4 and a wrong kind of server exit 2", async () => {
    const { Code, ModelwireError } = await import("@modelwire/core");
    const down = probeError(spec, new ModelwireError("connect ECONNREFUSED", Code.Unavailable));
    expect(down.exitCode).toBe(4);
    expect(down.message).toMatch(/--target http=http:\/\/h:1: cannot reach it/);
    const wrong = probeError(spec, new ModelwireError("404 page not found", Code.NotFound));
    expect(wrong.exitCode).toBe(2);
    expect(wrong.message).toMatch(/does not answer as an Ollama-compatible server/);
  });
});
