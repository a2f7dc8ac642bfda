/**
 * @file Reference threefry2x32 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2,
 * 3"), 20 rounds, bit-exact with JAX's `_threefry2x32_lowering` (jax 0.4.30, jax/_src/prng.py).
 *
 * Each round mixes the pair (x0, x1): x0 += x1; x1 = rotl(x1, r) ^ x0. Rotations cycle through
 * (13, 15, 26, 6) and (17, 29, 16, 24). Every four rounds a key word pair from the schedule
 * (k0, k1, k0 ^ k1 ^ 0x1BD11BDA) is injected, plus the injection counter in the second word.
 */
import type { Prim } from "../../ir/index.js";
import { type Impl, alloc } from "./ref-array.js";

const ROTATIONS = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
] as const;

/** Skein's key-schedule parity constant. */
const PARITY = 0x1bd11bda;

/**
 * Hashes one counter pair under one key; returns the two output words as uint32 numbers.
 *
 * @example threefry2x32Pair(0, 0, 0, 0) // [0x6b200159, 0x99ba4efe]
 */
export function threefry2x32Pair(k0: number, k1: number, c0: number, c1: number): [number, number] {
  const ks = [k0 >>> 0, k1 >>> 0, (k0 ^ k1 ^ PARITY) >>> 0];
  let x0 = (c0 + ks[0]) >>> 0;
  let x1 = (c1 + ks[1]) >>> 0;
  for (let block = 0; block < 5; block++) {
    for (const r of ROTATIONS[block % 2]) {
      x0 = (x0 + x1) >>> 0;
      x1 = ((x1 << r) | (x1 >>> (32 - r))) >>> 0;
      x1 = (x1 ^ x0) >>> 0;
    }
    x0 = (x0 + ks[(block + 1) % 3]) >>> 0;
    x1 = (x1 + ks[(block + 2) % 3] + block + 1) >>> 0;
  }
  return [x0, x1];
}

export const threefryImpl: Impl<Prim.Threefry2x32> = ([k0, k1, x0, x1], _params, [a0, a1]) => {
  const y0 = alloc(a0);
  const y1 = alloc(a1);
  for (let i = 0; i < y0.length; i++) {
    const [u, v] = threefry2x32Pair(k0.data[i], k1.data[i], x0.data[i], x1.data[i]);
    y0[i] = u;
    y1[i] = v;
  }
  return [y0, y1];
};
