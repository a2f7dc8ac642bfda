/**
 * @file Bit-level float helpers: float16 rounding (float16 is stored widened on the host) and
 * nextafter in float16/float32/float64.
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

/** binary16 bit pattern (sign excluded) of a non-negative value already representable in float16. */
function f16Bits(a: number): number {
  if (a === Infinity) return 0x7c00;
  if (a < 2 ** -14) return a / 2 ** -24; // subnormal: an integer multiple of 2^-24
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return ((e + 15) << 10) | ((a / 2 ** e - 1) * 1024);
}

function f16FromBits(b: number): number {
  const e = b >> 10;
  const m = b & 1023;
  if (e === 0) return m * 2 ** -24;
  if (e === 31) return m === 0 ? Infinity : NaN;
  return 2 ** (e - 15) * (1 + m / 1024);
}

/** The next representable value after `x` towards `y`, in float16, float32 or float64. */
export function nextafter(x: number, y: number, precision: "half" | "single" | "double" | boolean): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x === y) return y;
  const single = precision === true || precision === "single";
  if (precision === "half") {
    if (x === 0) return y > 0 ? 2 ** -24 : -(2 ** -24);
    const b = f16Bits(Math.abs(x)) + ((y > x) === (x > 0) ? 1 : -1);
    return Math.sign(x) * f16FromBits(b);
  }
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

/** A double rounded to what `dtype` holds (`index` is int32 address arithmetic). */
export function fitValue(v: number, dtype: string): number {
  switch (dtype) {
    case "float32":
      return Math.fround(v);
    case "float16":
      return roundF16(v);
    case "int32":
    case "index":
      return v | 0;
    case "uint32":
      return v >>> 0;
    case "bool":
      return v ? 1 : 0;
    default:
      return v;
  }
}
