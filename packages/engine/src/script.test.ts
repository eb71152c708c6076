import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countPromptTokens } from "./script.js";

/** The definition countPromptTokens implements in one pass. */
const byRegExp = (text: string) => Math.max(1, text.split(/\s+/).filter((w) => w.length > 0).length);

describe("countPromptTokens", () => {
  it("counts the runs of non-whitespace that splitting on \\s+ finds, at least 1", () => {
    const spaces = [..."\t\n\v\f\r \u00a0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"];
    const chars = fc.oneof(
      fc.constantFrom(...spaces, "a", "\u200b", "\u0085", "é"),
      fc.string({ unit: "binary", maxLength: 2 }),
    );
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 40 }).map((a) => a.join("")),
        (text) => {
          expect(countPromptTokens(text)).toBe(byRegExp(text));
        },
      ),
      { numRuns: 2000 },
    );
    expect(countPromptTokens("")).toBe(1);
    expect(countPromptTokens("  the quick\tbrown\n\nfox ")).toBe(4);
  });

  it("agrees with \\s on every BMP code unit", () => {
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      expect(countPromptTokens(`a${ch}b`), `U+${c.toString(16)}`).toBe(byRegExp(`a${ch}b`));
    }
  });
});
