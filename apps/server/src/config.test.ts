import { Code, ModelwireError } from "@modelwire/core";
import { SYNTHETIC_LIMITS } from "@modelwire/engine";
import { describe, expect, it } from "vitest";
import { resolveServeConfig, type ServeConfig } from "./config.js";
import { defaultServeConfig } from "./defaults.js";
import { serveHelp } from "./help.js";
import { SERVE_OPTIONS } from "./options.js";

function resolve(argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): ServeConfig {
  const r = resolveServeConfig({
    argv,
    env,
    readFile: (p) => {
      if (!(p in files)) throw Object.assign(new Error(`ENOENT: no such file '${p}'`), { code: "ENOENT" });
      return files[p];
    },
  });
  if (r.help) throw new Error("unexpected help");
  return r.config;
}

function failure(fn: () => unknown): ModelwireError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelwireError);
    return e as ModelwireError;
  }
  throw new Error("expected a failure");
}

describe("resolveServeConfig", () => {
  it("gives the contract's defaults with no input", () => {
    const c = resolve([]);
    expect(c).toEqual(defaultServeConfig());
    expect(c).toMatchObject({
      host: "127.0.0.1",
      httpPort: 11535,
      connectPort: 11536,
      mcpPort: 11537,
      adminPort: 11538,
      http: true,
      connect: true,
      mcp: true,
      admin: true,
      seed: 42,
      ttftMs: 0,
      interTokenMs: 0,
      tokens: 16,
      jitter: 0,
      loadMs: 0,
      maxStreams: 256,
      maxQueue: 0,
      graceMs: 5000,
    });
    expect(c.upstream).toBeUndefined();
    expect(c.mcpSocket).toBeUndefined();
    // Nothing collides with a real Ollama.
    expect([c.httpPort, c.connectPort, c.mcpPort, c.adminPort]).not.toContain(11434);
  });

  it("reads flags in both --flag value and --flag=value forms, and --no- switches", () => {
    const c = resolve([
      "--http-port",
      "0",
      "--connect-port=1234",
      "--no-mcp",
      "--mcp-socket",
      "/tmp/x.sock",
      "--ttft-ms",
      "2.5",
      "--tokens=7",
      "--jitter",
      "0.25",
      "--auth-token",
      "s3cret",
      "--upstream",
      "http://127.0.0.1:11434",
      "--admin=false",
    ]);
    expect(c).toMatchObject({
      httpPort: 0,
      connectPort: 1234,
      mcp: false,
      mcpSocket: "/tmp/x.sock",
      ttftMs: 2.5,
      tokens: 7,
      jitter: 0.25,
      authToken: "s3cret",
      upstream: [{ url: "http://127.0.0.1:11434", weight: 1 }],
      admin: false,
    });
  });

  it("ranks flags over env over config file over defaults", () => {
    const files = { "/c.json": JSON.stringify({ httpPort: 1001, connectPort: 1002, mcpPort: 1003, seed: 5 }) };
    const env = { MODELWIRE_CONFIG: "/c.json", MODELWIRE_CONNECT_PORT: "2002", MODELWIRE_MCP_PORT: "2003" };
    const c = resolve(["--mcp-port", "3003"], env, files);
    expect(c.httpPort).toBe(1001); // file
    expect(c.connectPort).toBe(2002); // env over file
    expect(c.mcpPort).toBe(3003); // flag over env
    expect(c.seed).toBe(5);
    expect(c.adminPort).toBe(11538); // default
    // --config beats MODELWIRE_CONFIG.
    const files2 = { ...files, "/d.json": JSON.stringify({ httpPort: 4001 }) };
    expect(resolve(["--config", "/d.json"], env, files2).httpPort).toBe(4001);
  });

  it("reads every option from its environment variable", () => {
    for (const o of SERVE_OPTIONS) {
      const raw =
        o.kind === "switch"
          ? "false"
          : o.kind === "url" || o.kind === "upstreams"
            ? "http://h:1"
            : o.kind === "port"
              ? "4321"
              : o.kind === "string" || o.kind === "path"
                ? "abc"
                : "0";
      const env: Record<string, string> = { [o.env]: raw };
      if (o.key === "maxStreams" || o.key === "maxConnections" || o.key === "maxConnectionsPerClient") env[o.env] = "3";
      if (o.kind === "choice") env[o.env] = "open";
      if (["upstreamProbeMs", "upstreamTagsMs", "upstreamStallMs", "upstreamFirstChunkMs"].includes(o.key))
        env[o.env] = "100";
      if (o.key === "upstreamAttempts" || o.key === "upstreamFailures") env[o.env] = "2";
      if (o.key === "upstreamBackoffMs") env[o.env] = "10";
      if (o.key === "adminOrigins") env[o.env] = "http://a.example:1";
      if (o.key === "origins") env[o.env] = "https://*.a.example";
      if (o.key === "cacheRedis") env[o.env] = "redis://h:1";
      if (o.key === "keepAlive") env[o.env] = "30m";
      if (o.kind === "list") env[o.env] = "a,b";
      if (o.key === "tlsCert" || o.key === "tlsKey")
        Object.assign(env, { MODELWIRE_TLS_CERT: "c", MODELWIRE_TLS_KEY: "k" });
      if (["http", "connect", "mcp"].includes(o.key)) continue; // switching one off alone is fine but covered below
      const c = resolve([], env) as unknown as Record<string, unknown>;
      const expected =
        o.kind === "switch"
          ? false
          : o.kind === "port"
            ? 4321
            : ["int", "number"].includes(o.kind)
              ? Number(env[o.env])
              : o.kind === "list"
                ? env[o.env].split(",")
                : o.kind === "upstreams"
                  ? [{ url: "http://h:1", weight: 1 }]
                  : env[o.env];
      expect(c[o.key], o.env).toEqual(expected);
    }
    expect(resolve([], { MODELWIRE_HTTP: "0", MODELWIRE_CONNECT: "off" })).toMatchObject({
      http: false,
      connect: false,
      mcp: true,
    });
  });

  it("asks for help with --help or -h", () => {
    expect(resolveServeConfig({ argv: ["--help"], env: {} })).toEqual({ help: true });
    expect(resolveServeConfig({ argv: ["--http-port", "1", "-h"], env: {} })).toEqual({ help: true });
  });

  it.each([
    [["--http-port", "abc"], "--http-port"],
    [["--http-port", "65536"], "--http-port"],
    [["--http-port", "-1"], "--http-port"],
    [["--http-port", "1.5"], "--http-port"],
    [["--http-port"], "--http-port"],
    [["--http-port", "--no-mcp"], "--http-port"],
    [["--tokens", "1e400"], "--tokens"],
    [["--tokens", "-3"], "--tokens"],
    [["--jitter", "1"], "--jitter"],
    [["--jitter", "NaN"], "--jitter"],
    [["--max-streams", "0"], "--max-streams"],
    [["--grace-ms", ""], "--grace-ms"],
    [["--upstream", "ftp://x"], "--upstream"],
    [["--upstream", "not a url"], "--upstream"],
    [["--host", ""], "--host"],
    [["--bogus"], "--bogus"],
    [["--no-tokens"], "--no-tokens"],
    [["--no-http=1"], "--no-http"],
    [["--http=maybe"], "--http"],
    [["positional"], "positional"],
    [["--tls-cert", "c.pem"], "--tls-key"],
    [["--tls-key", "k.pem"], "--tls-cert"],
    [["--http-port", "9000", "--admin-port", "9000"], "--admin-port"],
    [["--no-http", "--no-connect", "--no-mcp"], "--no-http"],
    [["--auth-token", "two words"], "--auth-token"],
    [["--admin-token", "two words"], "--admin-token"],
    [["--admin-host", "a b"], "--admin-host"],
    [["--metrics-auth", "sometimes"], "--metrics-auth"],
    [["--metrics-auth", "token"], "--metrics-auth"],
    [["--admin-origins", "evil.example"], "--admin-origins"],
    [["--admin-origins", "http://a.example/path"], "--admin-origins"],
    [["--admin-origins", "http://a.example:1,"], "--admin-origins"],
    [["--origins", "app.example"], "--origins"],
    [["--origins", "http://*.*.example"], "--origins"],
    [["--ttft-ms", "3600001"], "--ttft-ms"],
    [["--inter-token-ms", "1e308"], "--inter-token-ms"],
    [["--tokens", "1000001"], "--tokens"],
    [["--config"], "--config"],
  ])("refuses %j naming %s", (argv, option) => {
    const e = failure(() => resolve(argv));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.metadata.option).toBe(option);
    expect(e.rawMessage.startsWith(option)).toBe(true);
  });

  it("names the bad environment variable", () => {
    const e = failure(() => resolve([], { MODELWIRE_SEED: "x" }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(e.metadata.option).toBe("MODELWIRE_SEED");
    const e2 = failure(() => resolve([], { MODELWIRE_QUIET: "perhaps" }));
    expect(e2.metadata.option).toBe("MODELWIRE_QUIET");
  });

  it("names the bad config file key, and refuses unreadable, malformed or non-object files", () => {
    const check = (content: string | undefined, option: string) => {
      const files: Record<string, string> = content === undefined ? {} : { "/c.json": content };
      const e = failure(() => resolve(["--config", "/c.json"], {}, files));
      expect(e.code).toBe(Code.InvalidArgument);
      expect(e.metadata.option).toBe(option);
    };
    check(undefined, "--config");
    check("{not json", "--config");
    check("[1,2]", "--config");
    check("42", "--config");
    check(JSON.stringify({ httpPorts: 1 }), 'config file key "httpPorts"');
    check(JSON.stringify({ httpPort: "1" }), 'config file key "httpPort"');
    check(JSON.stringify({ httpPort: 70000 }), 'config file key "httpPort"');
    check(JSON.stringify({ http: "no" }), 'config file key "http"');
    check(JSON.stringify({ upstream: 5 }), 'config file key "upstream"');
    check(JSON.stringify({ jitter: 2 }), 'config file key "jitter"');
  });

  it("accepts a config file with every key", () => {
    const file = {
      host: "127.0.0.1",
      http: true,
      httpPort: 1,
      connect: false,
      connectPort: 2,
      mcp: true,
      mcpPort: 3,
      mcpSocket: "/tmp/s",
      admin: true,
      adminPort: 4,
      adminHost: "::1",
      adminToken: "a",
      metricsAuth: "token",
      adminOrigins: "http://127.0.0.1:8080,https://ops.example",
      origins: "https://app.example, app://*",
      upstream: [
        { url: "https://ollama.example:443", weight: 2, maxStreams: 4 },
        { url: "http://10.0.0.2:11434", weight: 1 },
      ],
      seed: 1,
      ttftMs: 1,
      interTokenMs: 1,
      tokens: 1,
      jitter: 0.5,
      loadMs: 250,
      maxStreams: 2,
      maxQueue: 3,
      maxConnections: 100,
      maxConnectionsPerClient: 10,
      writeStallTimeoutMs: 5000,
      maxQueuedBytes: 1048576,
      cacheMb: 8,
      cacheTtl: 60,
      cacheRedis: "unix:///tmp/redis.sock",
      preload: ["synthetic", "synthetic:7b"],
      keepAlive: "-1",
      readyAfterPreload: true,
      authToken: "t",
      tlsCert: "c",
      tlsKey: "k",
      graceMs: 10,
      drainDelayMs: 20,
      upstreamProbeMs: 1000,
      upstreamAttempts: 2,
      upstreamFailures: 5,
      upstreamBackoffMs: 500,
      upstreamTagsMs: 10_000,
      upstreamAffinity: false,
      upstreamStallMs: 20_000,
      upstreamFirstChunkMs: 60_000,
      quiet: true,
    };
    expect(Object.keys(file).sort()).toEqual(SERVE_OPTIONS.map((o) => o.key).sort());
    expect(resolve(["--config", "/c.json"], {}, { "/c.json": JSON.stringify(file) })).toEqual(file);
  });
});

describe("admin options", () => {
  it("bind the admin listener to loopback whatever --host says", () => {
    expect(resolve(["--host", "0.0.0.0"])).toMatchObject({ host: "0.0.0.0", adminHost: "127.0.0.1" });
    expect(resolve(["--admin-host", "0.0.0.0"])).toMatchObject({ host: "127.0.0.1", adminHost: "0.0.0.0" });
    expect(resolve([], { MODELWIRE_METRICS_AUTH: "open" }).metricsAuth).toBe("open");
    expect(resolve(["--metrics-auth", "token", "--auth-token", "t"]).metricsAuth).toBe("token");
    expect(resolve(["--metrics-auth", "token", "--admin-token", "a"]).metricsAuth).toBe("token");
    expect(resolve([]).metricsAuth).toBe("auto");
  });

  it("--max-queued-bytes: the write budget in bytes, 64 MiB by default, 0 turns it off, a bad value names the flag", () => {
    expect(resolve([]).maxQueuedBytes).toBe(64 * 1024 * 1024);
    expect(resolve(["--max-queued-bytes", "0"]).maxQueuedBytes).toBe(0);
    expect(resolve([], { MODELWIRE_MAX_QUEUED_BYTES: "4096" }).maxQueuedBytes).toBe(4096);
    for (const bad of ["-1", "1.5", "abc", String(2 ** 41)]) {
      expect(() => resolve(["--max-queued-bytes", bad]), bad).toThrow(/max-queued-bytes/);
    }
  });

  it("carry the engine's own knob bounds, so a flag and POST /control/engine refuse the same values", () => {
    for (const [key, max] of Object.entries(SYNTHETIC_LIMITS)) {
      const o = SERVE_OPTIONS.find((x) => x.key === key);
      if (!o) continue; // maxTokens and embedDimensions are not serve options
      expect(o.max, key).toBe(max);
      expect(o.exclusiveMax ?? false, key).toBe(key === "jitter");
    }
  });
});

describe("serveHelp", () => {
  it("documents every option with its flag and environment variable", () => {
    const text = serveHelp();
    for (const o of SERVE_OPTIONS) {
      expect(text).toContain(o.kind === "switch" ? `--[no-]${o.flag}` : `--${o.flag} `);
      expect(text).toContain(o.env);
    }
    expect(text).toContain("--config FILE");
    expect(text).toContain("11535");
  });
});
