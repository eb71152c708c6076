import { describe, expect, it } from "vitest";
import { createStreamVerifier } from "./verifier.js";

const expected = ["a", " b", " c", " d", " e"];
const run = (received: string[]) => {
  const v = createStreamVerifier(expected);
  for (const r of received) v.push(r);
  v.push(""); // the final chunk
  return v.report();
};

describe("stream verifier", () => {
  it("accepts the exact stream", () => {
    expect(run(expected)).toMatchObject({
      ok: true,
      received: 5,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
      mismatched: 0,
    });
  });
  it("counts a gap as lost", () => {
    expect(run(["a", " b", " d", " e"])).toMatchObject({ ok: false, lost: 1 });
  });
  it("counts a truncated stream's tail as lost", () => {
    expect(run(["a", " b"])).toMatchObject({ ok: false, lost: 3 });
  });
  it("counts a repeat as duplicated", () => {
    expect(run(["a", " b", " b", " c", " d", " e"])).toMatchObject({ ok: false, duplicated: 1, lost: 0 });
  });
  it("counts an earlier token arriving late as out of order", () => {
    expect(run(["a", " c", " b", " d", " e"])).toMatchObject({ ok: false, outOfOrder: 1 });
  });
  it("counts foreign text as mismatched", () => {
    expect(run(["a", " b", " zzz", " c", " d", " e"])).toMatchObject({ ok: false, mismatched: 1 });
  });
});
