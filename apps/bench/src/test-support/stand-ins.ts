import { type OllamaStandInOptions, type SpawnedStandIn, spawnOllamaStandIn } from "@modelwire/test-kit/ollama";
import { afterAll, beforeAll } from "vitest";

/**
 * Stand-in Ollama processes (`@modelwire/test-kit/ollama`, written from Ollama's docs, never our server) for the
 * calling test file (call it at module level): one per `options`, spawned before its tests and closed after them.
 * The returned function gives the running ones, in the order of `options`.
 */
export function standInsBeforeAll(...options: OllamaStandInOptions[]): () => readonly SpawnedStandIn[] {
  let ups: SpawnedStandIn[] = [];
  beforeAll(async () => {
    for (const o of options) ups.push(await spawnOllamaStandIn(o));
  }, 30_000);
  afterAll(async () => {
    await Promise.allSettled(ups.map((u) => u.close()));
    ups = [];
  });
  return () => ups;
}
