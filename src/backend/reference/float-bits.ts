/**
 * @file Bit-level float helpers: float16 rounding (float16 is stored widened on the host) and
 * nextafter in float32/float64.
 */
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds a number to the nearest float16 value (ties to even), as IEEE binary16 stores it. */
export function roundF16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= 65520) return x > 0 ? Infinity : -Infinity; // 65520 rounds up past the max 65504
  // Quantum: 2^-24 for subnormals (a < 2^-14), else 2^(floor(log2 a) - 10).
  const e = Math.max(Math.floor(Math.log2(a)), -14);
  // log2 can be off by one at exact powers of two; fix the exponent so 2^e <= a < 2^(e+1).
  const eFixed = a < 2 ** e ? e - 1 : a >= 2 ** (e + 1) ? e + 1 : e;
  const q = 2 ** (Math.max(eFixed, -14) - 10);
  const m = a / q;
  let r = Math.round(m);
  if (Math.abs(m - Math.trunc(m) - 0.5) === 0 && r % 2 === 1) r -= 1; // ties to even
  return Math.sign(x) * r * q;
}

/** The next representable value after `x` towards `y`, in float32 or float64. */
export function nextafter(x: number, y: number, single: boolean): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === y) return y;
  if (single) {
    if (x === 0) {
      u32[0] = 1;
      return y > 0 ? f32[0] : -f32[0];
    }
    f32[0] = x;
    u32[0] += (y > x) === (x > 0) ? 1 : -1;
    return f32[0];
  }
  if (x === 0) {
    u64[0] = 1n;
    return y > 0 ? f64[0] : -f64[0];
  }
  f64[0] = x;
  u64[0] += (y > x) === (x > 0) ? 1n : -1n;
  return f64[0];
}
