/**
 * @file The `random` namespace: threefry keys (`key`, `split`, `foldIn`), raw bits, samplers
 * and weight initializers, reproducing jax.random's default threefry2x32 PRNG (jax 0.4.30,
 * non-partitionable mode) bit for bit where tested. See random-core.ts for the key layout.
 *
 * @example
 *   const [k1, k2] = random.split(random.key(0));
 *   const w = random.normal(k1, [784, 128]);
 */
export * from "./random-core.js";
export * from "./random-samplers.js";
export * from "./random-initializers.js";
