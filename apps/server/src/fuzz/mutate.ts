/** A small, seeded pseudo-random source (mulberry32): the same seed replays the same inputs. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** One of `items`. */
  pick<T>(items: readonly T[]): T;
}

/** Creates an {@link Rng} from a 32-bit seed. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)] };
}

/** `n` random bytes. */
export function randomBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff];

/**
 * Mutates a copy of `seed` with 1–4 of: a bit flip, a byte set to an interesting value, a random byte, a run of
 * bytes inserted, a run removed, a 32-bit field set to a huge value, a truncation. AFL's havoc stage in miniature.
 */
export function mutate(rng: Rng, seed: Uint8Array): Uint8Array {
  let b = Uint8Array.from(seed);
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    if (b.length === 0) return randomBytes(rng, 1 + rng.int(64));
    const at = rng.int(b.length);
    switch (rng.int(7)) {
      case 0:
        b[at] ^= 1 << rng.int(8);
        break;
      case 1:
        b[at] = rng.pick(INTERESTING);
        break;
      case 2:
        b[at] = rng.int(256);
        break;
      case 3: {
        const ins = randomBytes(rng, 1 + rng.int(16));
        const out = new Uint8Array(b.length + ins.length);
        out.set(b.subarray(0, at));
        out.set(ins, at);
        out.set(b.subarray(at), at + ins.length);
        b = out;
        break;
      }
      case 4: {
        const tail = b.subarray(Math.min(b.length, at + 1 + rng.int(16)));
        const out = new Uint8Array(at + tail.length);
        out.set(b.subarray(0, at));
        out.set(tail, at);
        b = out;
        break;
      }
      case 5:
        if (b.length >= 4) {
          const o = rng.int(b.length - 3);
          new DataView(b.buffer, b.byteOffset).setUint32(o, rng.pick([0xffffffff, 0x7fffffff, 0x80000000, 1 << 24]));
        }
        break;
      default:
        b = b.subarray(0, at);
    }
  }
  return b;
}
