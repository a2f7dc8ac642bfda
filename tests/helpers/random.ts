/**
 * @file Deterministic test data: a seeded generator so property and rule tests draw the same
 * inputs on every run and machine.
 */

/** `n` uniform floats in [lo, hi) from `seed` (a mulberry32 variant); distinct almost surely. */
export function randoms(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return lo + ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo));
  });
}
