import { describe, expect, it } from "vitest";
import batchJson from "../../../vectors/batch.json" with { type: "json" };
import compactJson from "../../../vectors/compact.json" with { type: "json" };
import errorsJson from "../../../vectors/errors.json" with { type: "json" };
import framesJson from "../../../vectors/frames.json" with { type: "json" };
import serverJson from "../../../vectors/server.json" with { type: "json" };
import sessionJson from "../../../vectors/session.json" with { type: "json" };
import { batchVectors } from "./batch.js";
import { compactVectors } from "./compact.js";
import { errors } from "./errors.js";
import { frames } from "./frames.js";
import { serverVectors } from "./server.js";
import { sessionVectors } from "./session.js";

const regenerate = "regenerate it: node --import tsx src/test-support/make-vectors.ts NAME > vectors/NAME.json";

describe("committed vectors", () => {
  it.each([
    ["frames", frames, framesJson],
    ["errors", errors, errorsJson],
    ["session", sessionVectors, sessionJson],
    ["server", serverVectors, serverJson],
    ["compact", compactVectors, compactJson],
    ["batch", batchVectors, batchJson],
  ] as const)("vectors/%s.json is what make-vectors writes", (name, generated, committed) => {
    // Through JSON, as make-vectors writes it (drops undefined, turns bytes into what JSON.stringify makes).
    expect(JSON.parse(JSON.stringify(generated)), regenerate.replaceAll("NAME", name)).toEqual(committed);
  });
});
