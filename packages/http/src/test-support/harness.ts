import {
  createSyntheticEngine,
  type Engine,
  type SyntheticEngine,
  type SyntheticEngineOptions,
} from "@modelwire/engine";
import { createOllamaServer, type OllamaServer, type OllamaServerOptions } from "../ollama-server.js";

/** A running server over a synthetic engine, closed by `stop()`. */
export interface Harness {
  server: OllamaServer;
  engine: SyntheticEngine;
  url: string;
  stop(): Promise<void>;
}

/** Starts a server on 127.0.0.1:0 over a synthetic engine (or `wrap(engine)` when given). */
export async function startHarness(
  engineOptions: SyntheticEngineOptions = {},
  serverOptions: Partial<OllamaServerOptions> = {},
  wrap?: (e: SyntheticEngine) => Engine,
): Promise<Harness> {
  const engine = createSyntheticEngine(engineOptions);
  const server = createOllamaServer({ ...serverOptions, engine: wrap ? wrap(engine) : engine });
  const [address] = await server.listen();
  return { server, engine, url: address.url, stop: () => server.close({ graceMs: 100 }) };
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/** Awaits a call that must fail and returns its ModelwireError (the test kit's check). */
export { failure } from "@modelwire/test-kit";

/** Reads a stream to its end. */
export async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const c of it) out.push(c);
  return out;
}
