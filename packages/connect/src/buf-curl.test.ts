/**
 * The stock `buf curl` (the @bufbuild/buf dev dependency, a Go client nobody here wrote) against the server's fast
 * paths for all three protocols — `--protocol connect` (application/connect+proto streaming, application/proto
 * unary), `grpcweb` and `grpc` — with the bearer token: streamed Generate and Chat token for token, unary calls,
 * and the error cases the fast paths answer themselves (missing token, unknown model, a deadline). Reflection is served too, so no --schema is needed.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { create } from "@bufbuild/protobuf";
import { ChatRequestSchema, GenerateRequestSchema, type ProtocolServer } from "@modelwire/core";
import { backgroundContext, createSyntheticEngine } from "@modelwire/engine";
import { describe, expect, it } from "vitest";
import { createConnectServer } from "./server.js";
import { cleanupAfterEach } from "./test-support/harness.js";

const cleanup = cleanupAfterEach();
const run = promisify(execFile);
const BUF = createRequire(import.meta.url).resolve("@bufbuild/buf/bin/buf");
const TOKEN = "s3cret";
const PROTOCOLS = ["connect", "grpcweb", "grpc"] as const;
const SERVICE = "modelwire.v1.InferenceService";
/** Each test runs buf curl 12–15 times in a row (a Go process and a reflection round trip each): minutes when loaded. */
const TEST_MS = 180_000;
/** The repository's proto/ directory, for the one call made without reflection. */
const SCHEMA = fileURLToPath(new URL("../../../proto", import.meta.url));

interface Result {
  stdout: string;
  stderr: string;
  code: number;
}

/** `buf curl ARGS` (the URL among them) over h2c with `protocol`, the token on the call and on reflection unless `token` is false. */
async function curl(protocol: string, args: string[], token = true, timeout = "30s"): Promise<Result> {
  const auth = token
    ? ["-H", `authorization: Bearer ${TOKEN}`, "--reflect-header", `authorization: Bearer ${TOKEN}`]
    : [];
  try {
    const { stdout, stderr } = await run(
      BUF,
      ["curl", "--timeout", timeout, "--http2-prior-knowledge", "--protocol", protocol, ...auth, ...args],
      { timeout: 40_000 },
    );
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return { stdout: err.stdout ?? "", stderr: err.stderr ?? "", code: err.code ?? 1 };
  }
}

/**
 * A Generate that must end on its deadline. buf curl's `--timeout` covers its own work before the call too (reading
 * the schema by reflection, or compiling it: "timed out after 1 files", "failed to find service"), which a loaded
 * machine can stretch past one second; such a failure says nothing about the server, so it is tried again with
 * twice the deadline (up to 16 s; the engine's first token is 30 s away, so the call itself can never finish).
 */
async function curlPastDeadline(protocol: string, args: string[]): Promise<Result> {
  for (let s = 1; ; s *= 2) {
    const r = await curl(protocol, args, true, `${s}s`);
    if (s >= 16 || !/failed to find service|timed out after/.test(r.stderr)) return r;
  }
}

/** buf curl prints one JSON document per message. */
const docs = (stdout: string) =>
  stdout
    .split(/\n(?=\{)/)
    .filter((d) => d.trim() !== "")
    .map((d) => JSON.parse(d) as Record<string, unknown>);

async function start(engineOptions: Parameters<typeof createSyntheticEngine>[0] = { tokens: 6 }) {
  const engine = createSyntheticEngine(engineOptions);
  // The defaults: fastUnary and fastStreaming on, so every call below is answered by the fast paths.
  const server: ProtocolServer = createConnectServer({ engine, authToken: TOKEN });
  cleanup.push(() => server.close({ graceMs: 100 }));
  return { engine, url: (await server.listen())[0].url };
}

describe("buf curl against the fast paths, on each protocol", () => {
  it(
    "streams Generate and Chat token for token, and answers the unary calls",
    async () => {
      const { engine, url } = await start();
      const gen = { model: "synthetic", prompt: "buf curl says hi" };
      const chat = { model: "synthetic", messages: [{ role: "user", content: "and chats" }] };
      const expectedGen = engine.expectedGenerate(create(GenerateRequestSchema, gen));
      const expectedChat = engine.expectedChat(create(ChatRequestSchema, chat));
      for (const p of PROTOCOLS) {
        const g = await curl(p, ["-d", JSON.stringify(gen), `${url}/${SERVICE}/Generate`]);
        expect(g.stderr, p).toBe("");
        const gd = docs(g.stdout);
        expect(
          gd.filter((d) => !d.done).map((d) => d.response ?? ""),
          p,
        ).toEqual(expectedGen);
        expect(gd.at(-1), p).toMatchObject({ model: "synthetic", done: true, doneReason: "stop" });

        const c = await curl(p, ["-d", JSON.stringify(chat), `${url}/${SERVICE}/Chat`]);
        expect(c.stderr, p).toBe("");
        const cd = docs(c.stdout) as { message?: { content?: string }; done?: boolean }[];
        expect(
          cd.filter((d) => !d.done).map((d) => d.message?.content ?? ""),
          p,
        ).toEqual(expectedChat);
        expect(cd.at(-1)?.done, p).toBe(true);

        const v = await curl(p, [`${url}/${SERVICE}/Version`]);
        expect(v.code, `${p}: ${v.stderr}`).toBe(0);
        expect(JSON.parse(v.stdout), p).toEqual({ version: (await engine.version(backgroundContext())).version });

        const l = await curl(p, [`${url}/${SERVICE}/ListModels`]);
        const names = (JSON.parse(l.stdout) as { models: { name: string }[] }).models.map((m) => m.name);
        expect(names, p).toContain("synthetic:latest");

        const e = await curl(p, ["-d", '{"model":"synthetic-embed","input":["a"]}', `${url}/${SERVICE}/Embed`]);
        expect(e.code, `${p}: ${e.stderr}`).toBe(0);
        expect((JSON.parse(e.stdout) as { embeddings: unknown[] }).embeddings, p).toHaveLength(1);
      }
    },
    TEST_MS,
  );

  it(
    "reports the fast paths' errors with their codes: no token, unknown model, a deadline",
    async () => {
      const { url } = await start({ tokens: 6, ttftMs: 30_000 });
      for (const p of PROTOCOLS) {
        // Without the token reflection itself is refused, so give the schema: the call reaches the handler.
        const anon = await curl(p, ["--reflect=false", "--schema", SCHEMA, `${url}/${SERVICE}/Version`], false);
        expect(anon.code, p).not.toBe(0);
        expect(anon.stderr, p).toMatch(/unauthenticated/);
        expect(anon.stderr, p).toMatch(/missing or invalid bearer token/);

        const nope = await curl(p, ["-d", '{"model":"nope","prompt":"x"}', `${url}/${SERVICE}/Generate`]);
        expect(nope.code, p).not.toBe(0);
        expect(nope.stderr, p).toMatch(/not_found/);
        expect(nope.stderr, p).toMatch(/model 'nope' not found/);

        // buf curl refuses to set connect-timeout-ms / grpc-timeout itself; its --timeout becomes the call's deadline,
        // which connect-go sends as that protocol's timeout header.
        const late = await curlPastDeadline(p, [
          "-d",
          '{"model":"synthetic","prompt":"slow"}',
          `${url}/${SERVICE}/Generate`,
        ]);
        expect(late.code, p).not.toBe(0);
        expect(late.stderr, p).toMatch(/deadline_exceeded/);
      }
    },
    TEST_MS,
  );
});
