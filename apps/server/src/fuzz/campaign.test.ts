import { describe, expect, it } from "vitest";
import { failed, formatResult, runCampaign } from "./campaign.js";
import { createHttpInputs } from "./http-target.js";
import { createMcpInputs, mcpSeeds } from "./mcp-target.js";

describe("the fault campaign", () => {
  it("a short run against the built gateway: no crash, no hang, every wire still serves", async () => {
    // The command's hang limit is 5 s; a loaded 2-core CI machine gets 15 s (a hang is also replayed alone).
    const r = await runCampaign({ inputs: 1_500, seconds: 8, concurrency: 4, hangMs: 15_000, replaySeconds: 45 });
    const text = formatResult(r);
    expect(r.crash, text).toBeUndefined();
    expect(
      r.tallies.map((t) => t.hangs),
      text,
    ).toEqual([0, 0, 0, 0]);
    expect(r.servesAfter, text).toBe(true);
    expect(failed(r)).toBe(false);
    // Every parser was reached (the budget is time as well as count, so a loaded machine tries fewer).
    for (const t of r.tallies) expect(t.inputs, text).toBeGreaterThan(0);
  }, 120_000);

  it("replays: the same seed gives the same inputs", () => {
    const a = createMcpInputs(7);
    const b = createMcpInputs(7);
    for (let i = 0; i < 50; i++) expect(a(i)).toEqual(b(i));
    const h1 = createHttpInputs(7);
    const h2 = createHttpInputs(7);
    for (let i = 0; i < 20; i++) expect(h1(i)).toEqual(h2(i));
  });

  it("seeds from every committed MCP vector file", () => {
    expect(mcpSeeds().length).toBeGreaterThan(60);
  });
});
