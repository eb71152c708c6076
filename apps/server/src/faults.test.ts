import { Code } from "@modelwire/core";
import { describe, expect, it } from "vitest";
import { ADDRESS_OF, CLIENT_KINDS, expectedGenerate, makeClient, runGenerate } from "./test-support/clients.js";
import { gatewaysAfterEach } from "./test-support/gateways.js";
import type { SpawnedGateway } from "./test-support/spawn-gateway.js";

const { clients, start } = gatewaysAfterEach();

/** One long generate per wire: `firsts` resolves once each has its first token, `outcomes` with how each ended. */
function streamsInFlight(gw: SpawnedGateway, knobs: { tokens: number; interTokenMs: number }) {
  const firsts: Promise<void>[] = [];
  const outcomes = CLIENT_KINDS.map((kind) => {
    const c = makeClient(kind, gw.url(ADDRESS_OF[kind]));
    clients.push(c);
    const req = { model: "synthetic", prompt: `fault ${kind}` };
    let onFirst!: () => void;
    firsts.push(new Promise<void>((r) => (onFirst = r)));
    return runGenerate(c, req, expectedGenerate({ seed: 42, ...knobs }, req), { onFirst }).then(
      (r) => ({
        kind,
        completed: true,
        intact: r.intact,
        tokens: r.tokens.length,
        code: undefined as Code | undefined,
      }),
      (e: { code?: Code }) => ({ kind, completed: false, intact: false, tokens: 0, code: e.code }),
    );
  });
  return { firsts: Promise.all(firsts), outcomes: Promise.all(outcomes) };
}

describe("faults of the gateway process, on every wire", () => {
  it("killed (SIGKILL) mid-stream: every stream fails with UNAVAILABLE, none looks complete", async () => {
    const knobs = { tokens: 400, interTokenMs: 25 };
    const gw = await start(["--tokens", "400", "--inter-token-ms", "25"]);
    const { firsts, outcomes } = streamsInFlight(gw, knobs);
    await firsts; // every stream is mid-flight
    gw.proc.kill("SIGKILL");
    for (const o of await outcomes) {
      expect(o.completed, o.kind).toBe(false);
      expect(o.code, o.kind).toBe(Code.Unavailable);
    }
    expect((await gw.exited).signal).toBe("SIGKILL");
  });

  it("stopped (SIGSTOP) mid-stream and resumed (SIGCONT): every stream completes intact or fails with a code, never ends short", async () => {
    const knobs = { tokens: 60, interTokenMs: 25 };
    const gw = await start(["--tokens", "60", "--inter-token-ms", "25"]);
    const pid = gw.proc.pid as number;
    const { firsts, outcomes } = streamsInFlight(gw, knobs);
    await firsts;
    process.kill(pid, "SIGSTOP");
    await new Promise((r) => setTimeout(r, 1_500));
    process.kill(pid, "SIGCONT");
    const ended = await outcomes;
    console.log(
      `SIGSTOP 1.5 s run: ${ended.map((o) => `${o.kind} ${o.completed ? (o.intact ? "intact" : "NOT intact") : `code ${o.code}`}`).join(", ")}`,
    );
    for (const o of ended) {
      if (o.completed) {
        expect(o.intact, o.kind).toBe(true);
        expect(o.tokens, o.kind).toBe(60);
      } else expect(o.code, o.kind).toBeDefined();
    }
    // Served afterwards on every wire.
    const after = await Promise.all(
      CLIENT_KINDS.map(async (kind) => {
        const c = makeClient(kind, gw.url(ADDRESS_OF[kind]));
        clients.push(c);
        const req = { model: "synthetic", prompt: `after ${kind}` };
        return (await runGenerate(c, req, expectedGenerate({ seed: 42, ...knobs }, req))).intact;
      }),
    );
    expect(after).toEqual(CLIENT_KINDS.map(() => true));
  });
});
