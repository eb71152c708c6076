import { create, equals } from "@bufbuild/protobuf";
import { type GenerateRequest, GenerateRequestSchema, OptionsSchema } from "@modelwire/core";
import { createSyntheticEngine } from "@modelwire/engine";
import { describe, expect, it } from "vitest";
import { cleanupAfterEach, startClientServer } from "./test-support/harness.js";

const cleanups = cleanupAfterEach();

/**
 * A 1 MiB image goes out as a large OPEN frame (the GenerateRequest written straight into one buffer, the image
 * copied once), split across many socket reads on the server.
 */
describe("client generate with a 1 MiB image", () => {
  it("reaches the engine intact, with metadata, and the reply verifies token by token", async () => {
    const engine = createSyntheticEngine({ seed: 11, tokens: 12, ttftMs: 0, interTokenMs: 0 });
    const seen: GenerateRequest[] = [];
    const spy = {
      ...engine,
      generate: (req: GenerateRequest, ctx: Parameters<typeof engine.generate>[1]) => {
        seen.push(req);
        return engine.generate(req, ctx);
      },
    };
    const { client } = await startClientServer(cleanups, { engine: spy });
    const image = new Uint8Array(1024 * 1024);
    for (let i = 0; i < image.length; i++) image[i] = (i * 7 + 3) & 0xff;
    const init = {
      model: "synthetic:latest",
      prompt: "describe the picture",
      images: [image],
      options: create(OptionsSchema, { seed: 42n, temperature: 0.5 }),
    };
    const req = create(GenerateRequestSchema, init);
    const expected = engine.expectedGenerate(req);
    const tokens: string[] = [];
    for await (const chunk of client.generate(req, { metadata: { "trace-id": "big" } })) {
      if (!chunk.done) tokens.push(chunk.response);
    }
    expect(tokens).toEqual(expected);
    expect(seen).toHaveLength(1);
    expect(seen[0].model).toBe("synthetic:latest");
    expect(seen[0].images).toHaveLength(1);
    expect(Buffer.from(seen[0].images[0]).equals(Buffer.from(image))).toBe(true);
    // The caller's request is not modified (the model travels in the envelope, cleared only while encoding).
    expect(equals(GenerateRequestSchema, req, create(GenerateRequestSchema, init))).toBe(true);
  }, 60_000);
});
