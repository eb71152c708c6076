import { type InferenceClient, timestampOfMs } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { probeClockOffset } from "./clock-probe.js";

/** A client whose server clock runs `skewMs` ahead and answers after `delays[i]` ms each way. */
function skewedClient(skewMs: number, delays: number[], clock: { t: number }): InferenceClient {
  let call = 0;
  return {
    async *generate() {
      const d = delays[call++ % delays.length];
      clock.t += d; // request travels
      const stamp = clock.t + skewMs;
      clock.t += d; // reply travels
      yield { createdAt: timestampOfMs(stamp), response: "x", done: true } as never;
    },
  } as unknown as InferenceClient;
}

describe("clock offset probe", () => {
  it("recovers the server's offset from the fastest round trip, with half of it as the uncertainty", async () => {
    const clock = { t: 1_764_590_400_000 };
    const client = skewedClient(-37, [9, 2, 5], clock);
    const got = await probeClockOffset(client, { model: "m", prompt: "p" }, "http", 6, {
      wall: () => clock.t,
      mono: () => clock.t,
    });
    expect(got?.offsetMs).toBeCloseTo(-37, 6);
    expect(got?.uncertaintyMs).toBe(2 + 1);
    expect(got?.samples).toBe(6);
    expect(got?.via).toBe("http");
  });

  it("says nothing when no reply carries a timestamp", async () => {
    const client = {
      async *generate() {
        yield { response: "x", done: true } as never;
      },
    } as unknown as InferenceClient;
    expect(await probeClockOffset(client, { model: "m" }, "echo", 3)).toBeUndefined();
  });
});
