import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Code } from "./code.js";
import { createCorsPolicy, createOriginMatcher, ollamaOrigins, parseOriginList } from "./cors.js";
import { ModelwireError } from "./error.js";

/** The `field` of the InvalidArgument ModelwireError `f` throws, or undefined when it throws nothing. */
function fieldOf(f: () => unknown): string | undefined {
  const thrown = (() => {
    try {
      f();
    } catch (e) {
      return e;
    }
  })();
  if (thrown === undefined) return undefined;
  expect(thrown).toBeInstanceOf(ModelwireError);
  expect(thrown).toMatchObject({ code: Code.InvalidArgument });
  return (thrown as ModelwireError).metadata.field;
}

describe("Ollama's default origins", () => {
  const d = ollamaOrigins();
  it("allow localhost, 127.0.0.1 and 0.0.0.0 on any port over http and https, and the app schemes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("localhost", "127.0.0.1", "0.0.0.0", "LOCALHOST"),
        fc.constantFrom("http", "https"),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        (host, scheme, port) => d.allows(`${scheme}://${host}${port === undefined ? "" : `:${port}`}`),
      ),
    );
    for (const o of ["app://obsidian.md", "file://", "tauri://localhost", "vscode-webview://abc", "vscode-file://x"]) {
      expect(d.allows(o), o).toBe(true);
    }
    expect(d.any).toBe(false);
  });

  it("refuse any other origin, look-alikes included", () => {
    const others = [
      "http://example.com",
      "https://localhost.evil.example",
      "http://127.0.0.2:8080",
      "http://[::1]:3000",
      "null",
      "ws://localhost:1",
      "chrome-extension://abc",
      "http://localhostx",
    ];
    for (const o of others) expect(d.allows(o), o).toBe(false);
    fc.assert(
      fc.property(fc.domain(), (host) => {
        fc.pre(!["localhost", "127.0.0.1", "0.0.0.0"].includes(host));
        return !d.allows(`https://${host}`) && !d.allows(`http://${host}:8080`);
      }),
    );
  });
});

describe("an OLLAMA_ORIGINS-shaped list", () => {
  it("is comma-separated, trimmed, lower-cased, with empty entries ignored; entries add to the defaults", () => {
    expect(parseOriginList(" https://App.Example ,, http://*.corp.example ")).toEqual([
      "https://app.example",
      "http://*.corp.example",
    ]);
    const m = ollamaOrigins(parseOriginList("https://app.example,http://*.corp.example,moz-extension://*"));
    expect(m.allows("https://app.example")).toBe(true);
    expect(m.allows("https://APP.example")).toBe(true);
    expect(m.allows("https://app.example:444")).toBe(false);
    expect(m.allows("http://wiki.corp.example")).toBe(true);
    expect(m.allows("https://wiki.corp.example")).toBe(false);
    expect(m.allows("moz-extension://1234")).toBe(true);
    expect(m.allows("http://localhost:5173")).toBe(true);
  });

  it("* allows every origin", () => {
    const m = ollamaOrigins(parseOriginList("*"));
    expect(m.any).toBe(true);
    fc.assert(
      fc.property(fc.webUrl(), (u) => m.allows(new URL(u).origin)),
      { numRuns: 50 },
    );
  });

  it("refuses what Ollama refuses at start, and regular expressions, naming the option", () => {
    expect(fieldOf(() => parseOriginList("http://*.*.example", "--origins"))).toBe("--origins");
    expect(fieldOf(() => parseOriginList("example.com", "MODELWIRE_ORIGINS"))).toBe("MODELWIRE_ORIGINS");
    expect(fieldOf(() => parseOriginList("/^https:\\/\\/.*$/"))).toBe("origins");
    expect(fieldOf(() => parseOriginList("x".repeat(70_000)))).toBe("origins");
    expect(fieldOf(() => createOriginMatcher(["a**"]))).toBe("origins");
    expect(fieldOf(() => parseOriginList("chrome-extension://abc"))).toBeUndefined();
  });
});

describe("the CORS policy", () => {
  const policy = createCorsPolicy({
    origins: ollamaOrigins(),
    allowHeaders: ["Authorization", "Content-Type"],
    exposeHeaders: ["grpc-status"],
  });
  const req = (method: string, origin?: string, host = "127.0.0.1:11434") => ({ method, origin, host });

  it("passes requests without Origin, and same-origin ones", () => {
    expect(policy.decide(req("POST"), ["POST"])).toEqual({ kind: "pass" });
    expect(policy.decide(req("POST", "http://127.0.0.1:11434"), ["POST"])).toEqual({ kind: "pass" });
  });

  it("answers a preflight from an allowed origin with the route's methods, the headers and a max age", () => {
    const d = policy.decide(req("OPTIONS", "http://localhost:5173"), ["POST"]);
    expect(d).toEqual({
      kind: "preflight",
      headers: {
        "Access-Control-Allow-Origin": "http://localhost:5173",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "43200",
        Vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
      },
    });
  });

  it("adds the allow-origin, expose and Vary headers to an actual request; refuses a disallowed origin", () => {
    expect(policy.decide(req("POST", "http://localhost:5173"), ["POST"])).toEqual({
      kind: "actual",
      headers: {
        "Access-Control-Allow-Origin": "http://localhost:5173",
        "Access-Control-Expose-Headers": "grpc-status",
        Vary: "Origin",
      },
    });
    expect(policy.decide(req("OPTIONS", "https://evil.example"), ["POST"])).toEqual({
      kind: "refuse",
      origin: "https://evil.example",
    });
    const star = createCorsPolicy({ origins: ollamaOrigins(["*"]), allowHeaders: [] });
    const d = star.decide(req("GET", "https://any.example"), ["GET", "HEAD"]);
    expect(d).toEqual({ kind: "actual", headers: { "Access-Control-Allow-Origin": "*" } });
  });
});
