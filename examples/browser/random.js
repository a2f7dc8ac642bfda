/**
 * @file The example pages' data generator: a small deterministic generator (mulberry32), so the
 * page and the test's Node run build the same synthetic data in every JS engine.
 */

/** Uniform numbers in [0, 1) from `seed`. @example const next = uniform(1); next() */
export function uniform(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
