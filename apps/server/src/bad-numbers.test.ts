import { Code, type InferenceClient } from "@modelwire/core";
import { failure } from "@modelwire/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADDRESS_OF, CLIENT_KINDS, makeClient } from "./test-support/clients.js";
import { type SpawnedGateway, spawnGateway } from "./test-support/spawn-gateway.js";

// Issue 19, defect 3 on the binary wires: what the HTTP API refuses with a 400 naming the field (a keep_alive past
// 292 years, a float that is not a number) is INVALID_ARGUMENT naming the field on gRPC, Connect and MCP, whose
// Protobuf carries such values as they are.

let gw: SpawnedGateway;
beforeAll(async () => {
  gw = await spawnGateway(["--http-port=0", "--connect-port=0", "--mcp-port=0", "--admin-port=0", "--quiet"]);
});
afterAll(() => gw?.kill());

const BAD = [
  { field: "keep_alive", request: { keepAlive: { seconds: 1n << 62n, nanos: 0 } } },
  { field: "keep_alive", request: { keepAlive: { seconds: 5n, nanos: -1 } } },
  { field: "keep_alive", request: { keepAlive: { seconds: 0n, nanos: 2_000_000_000 } } },
  { field: "options.temperature", request: { options: { temperature: Number.NaN } } },
  { field: "options.top_p", request: { options: { topP: Number.POSITIVE_INFINITY } } },
  { field: "options.repeat_penalty", request: { options: { repeatPenalty: Number.NEGATIVE_INFINITY } } },
  { field: "options.num_predict", request: { options: { numPredict: -3 } } },
];

async function drain(it: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of it) {
    /* consume */
  }
}

describe("out-of-range numbers on the binary wires", () => {
  for (const kind of CLIENT_KINDS.filter((k) => k !== "http")) {
    it(`${kind}: INVALID_ARGUMENT naming the field, on generate, chat and embed`, async () => {
      const client: InferenceClient = makeClient(kind, gw.url(ADDRESS_OF[kind]));
      try {
        for (const bad of BAD) {
          const calls: (() => Promise<unknown>)[] = [
            () => drain(client.generate({ model: "synthetic", prompt: "x", ...bad.request })),
            () =>
              drain(client.chat({ model: "synthetic", messages: [{ role: "user", content: "x" }], ...bad.request })),
          ];
          if (bad.field !== "options.num_predict") {
            calls.push(() => client.embed({ model: "synthetic-embed", input: ["x"], ...bad.request }));
          }
          for (const call of calls) {
            const e = await failure(call);
            expect(e.code, `${bad.field} ${e.message}`).toBe(Code.InvalidArgument);
            expect(e.metadata.field ?? e.message, e.message).toContain(bad.field);
          }
        }
        // A keep_alive Ollama accepts still works: negative (forever) and 292 years.
        await drain(client.generate({ model: "synthetic", prompt: "x", keepAlive: { seconds: -1n } }));
        await drain(client.generate({ model: "synthetic", prompt: "x", keepAlive: { seconds: 9_223_372_036n } }));
      } finally {
        await client.close();
      }
    });
  }
});
