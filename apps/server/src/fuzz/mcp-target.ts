import { readFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { clampTimerMs } from "@modelwire/core";
import { createRng, mutate, type Rng, randomBytes } from "./mutate.js";
import type { Outcome } from "./tally.js";

/** Every byte sequence in the committed MCP vectors (`packages/mcp-codec/vectors/*.json`), valid and invalid. */
export function mcpSeeds(): Uint8Array[] {
  const dir = fileURLToPath(new URL("../../../../packages/mcp-codec/vectors", import.meta.url));
  const seeds: Uint8Array[] = [];
  for (const file of ["frames", "errors", "session", "server"]) {
    const doc = JSON.parse(readFileSync(join(dir, `${file}.json`), "utf8")) as { vectors: Record<string, unknown>[] };
    for (const v of doc.vectors) {
      for (const key of ["hex", "clientHex"]) {
        const hex = v[key];
        if (typeof hex === "string" && /^([0-9a-f]{2})*$/i.test(hex)) seeds.push(Buffer.from(hex, "hex"));
      }
    }
  }
  return seeds;
}

/** Offset of the u32 payload length in an MCP frame header (docs/mcp-wire.md §3). */
const LENGTH_OFFSET = 16;

/**
 * MCP inputs, in turn: random bytes; a mutated vector; a valid HELLO followed by a mutated vector (to reach the
 * states after the handshake); a vector truncated at every offset in turn; a vector with a huge payload length.
 */
export function createMcpInputs(seed: number): (i: number) => Uint8Array {
  const seeds = mcpSeeds();
  const hello = seeds[0]; // frames.json's first vector is a client HELLO
  const rng: Rng = createRng(seed);
  let truncSeed = 0;
  let truncAt = 0;
  return (i) => {
    switch (i % 5) {
      case 0:
        return randomBytes(rng, rng.int(rng.next() < 0.5 ? 40 : 400));
      case 1:
        return mutate(rng, rng.pick(seeds));
      case 2:
        return Buffer.concat([hello, mutate(rng, rng.pick(seeds))]);
      case 3: {
        const s = seeds[truncSeed % seeds.length];
        const out = s.subarray(0, truncAt);
        if (++truncAt > s.length) {
          truncAt = 0;
          truncSeed++;
        }
        return out;
      }
      default: {
        const s = Uint8Array.from(rng.pick(seeds));
        if (s.length >= LENGTH_OFFSET + 4) {
          new DataView(s.buffer).setUint32(LENGTH_OFFSET, rng.pick([0xffffffff, 0x00ffffff, 4 * 1024 * 1024 + 1]));
        }
        return s;
      }
    }
  };
}

/**
 * Sends `input` on a new connection to the MCP listener and ends its side: the server must close the connection
 * (after whatever it answers) within `hangMs`.
 */
export function sendMcp(port: number, input: Uint8Array, hangMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ kind: "hang" }), clampTimerMs(hangMs));
    s.on("error", () => finish({ kind: "answered" }));
    s.resume();
    s.on("close", () => finish({ kind: "answered" }));
    s.on("connect", () => s.end(input));
  });
}
