/**
 * @file WGSL helper functions for float32 math that WGSL lacks or defines loosely: IEEE-style
 * NaN propagation for max/min (WGSL leaves max(NaN, x) unspecified), copysign, log1p/expm1 that
 * stay accurate near 0, pow with JavaScript's sign rules (WGSL's pow is undefined for x < 0),
 * erf/erfc/erfinv, nextafter, and exact integer division/remainder semantics of the reference
 * backend (x/0 = -1, x%0 = x, INT_MIN/-1 = INT_MIN).
 *
 * The renderer asks for helpers by name; `helperSource` returns them with their dependencies,
 * each once, so a shader contains only what it uses.
 *
 * Accuracy (float32, checked against the reference backend in src/codegen/wgsl/render.test.ts):
 * erfc uses the Chebyshev-fitted form `t exp(-z^2 + P(t))` (fractional error below 1.2e-7 in
 * exact arithmetic); erf uses a Taylor series below 0.5 and `1 - erfc` above; erfinv is Giles'
 * single-precision approximation followed by one Newton step.
 */

/**
 * Special float32 values as WGSL expressions. WGSL has no NaN/Inf literals, and a constant
 * expression that evaluates to one is a shader-creation error, so they are read from private
 * variables (runtime values) that every shader declares (`SPECIAL_VALUES`).
 */
export const F32_INF = "bitcast<f32>(k_inf_bits)";
export const F32_NAN = "bitcast<f32>(k_nan_bits)";
export const SPECIAL_VALUES = "var<private> k_inf_bits: u32 = 0x7f800000u;\nvar<private> k_nan_bits: u32 = 0x7fc00000u;";

const HELPERS: Record<string, { deps?: string[]; src: string }> = {
  isnan: { src: "fn k_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }" },
  fmax: {
    deps: ["isnan"],
    src: "fn k_fmax(a: f32, b: f32) -> f32 { if (k_isnan(a) || k_isnan(b)) { return a + b; } return max(a, b); }",
  },
  fmin: {
    deps: ["isnan"],
    src: "fn k_fmin(a: f32, b: f32) -> f32 { if (k_isnan(a) || k_isnan(b)) { return a + b; } return min(a, b); }",
  },
  copysign: {
    src: "fn k_copysign(a: f32, b: f32) -> f32 { return bitcast<f32>((bitcast<u32>(a) & 0x7fffffffu) | (bitcast<u32>(b) & 0x80000000u)); }",
  },
  log1p: {
    src: `fn k_log1p(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  if (u == ${F32_INF} || u <= 0.0) { return log(u); }
  return log(u) * (x / (u - 1.0));
}`,
  },
  expm1: {
    src: `fn k_expm1(x: f32) -> f32 {
  if (abs(x) < 1e-5) { return x + 0.5 * x * x; }
  let u = exp(x);
  if (u == ${F32_INF}) { return u; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  return um1 * (x / log(u));
}`,
  },
  cbrt: {
    deps: ["copysign"],
    src: `fn k_cbrt(x: f32) -> f32 {
  let a = abs(x);
  if (a == 0.0 || a == ${F32_INF} || a != a) { return x; }
  var y = exp2(log2(a) / 3.0);
  y = y - (y * y * y - a) / (3.0 * y * y);
  return k_copysign(y, x);
}`,
  },
  logistic: {
    src: `fn k_logistic(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}`,
  },
  tanh: {
    src: `fn k_tanh(x: f32) -> f32 {
  if (abs(x) > 10.0) { return sign(x); }
  return tanh(x);
}`,
  },
  pow: {
    deps: ["isnan"],
    src: `fn k_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0 || x == 1.0) { return 1.0; }
  if (k_isnan(x) || k_isnan(y)) { return x + y; }
  let ay = abs(y);
  let yInt = floor(y) == y;
  let yOdd = yInt && ay < 16777216.0 && (i32(ay) & 1) == 1;
  if (x == 0.0) {
    let r = select(0.0, ${F32_INF}, y < 0.0);
    return select(r, select(r, -r, bitcast<u32>(x) != 0u), yOdd);
  }
  if (ay == ${F32_INF}) {
    let ax = abs(x);
    if (ax == 1.0) { return 1.0; }
    return select(0.0, ${F32_INF}, (ax > 1.0) == (y > 0.0));
  }
  if (x < 0.0 && !yInt) { return ${F32_NAN}; }
  let r = exp2(y * log2(abs(x)));
  return select(r, -r, x < 0.0 && yOdd);
}`,
  },
  erfc: {
    src: `fn k_erfc(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let r = t * exp(-z * z + p);
  return select(2.0 - r, r, x >= 0.0);
}`,
  },
  erf: {
    deps: ["erfc"],
    src: `fn k_erf(x: f32) -> f32 {
  let z = abs(x);
  if (z < 0.5) {
    let x2 = x * x;
    return x * (1.1283791671 + x2 * (-0.3761263890 + x2 * (0.1128379167 + x2 * (-0.0268661706 + x2 * (0.0052239776 + x2 * -0.0008548327)))));
  }
  if (z > 4.0) { return sign(x); }
  return 1.0 - k_erfc(x);
}`,
  },
  erfinv: {
    deps: ["erf"],
    src: `fn k_erfinv(x: f32) -> f32 {
  let a = abs(x);
  if (a > 1.0 || x != x) { return ${F32_NAN}; }
  if (a == 1.0) { return x * ${F32_INF}; }
  var w = -log((1.0 - x) * (1.0 + x));
  var p: f32;
  if (w < 5.0) {
    w = w - 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w; p = -0.00125372503 + p * w; p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w; p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w; p = -0.0076224613 + p * w; p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w; p = 2.83297682 + p * w;
  }
  let y = p * x;
  if (a < 0.9) {
    // One Newton step on erf(y) = x (its derivative is 2/sqrt(pi) exp(-y^2)).
    return y - (k_erf(y) - x) / (1.1283791671 * exp(-y * y));
  }
  return y;
}`,
  },
  nextafter: {
    deps: ["isnan"],
    src: `fn k_nextafter(x: f32, y: f32) -> f32 {
  if (k_isnan(x) || k_isnan(y)) { return x + y; }
  if (x == y) { return y; }
  if (x == 0.0) { return select(bitcast<f32>(1u), bitcast<f32>(0x80000001u), y < 0.0); }
  let b = bitcast<u32>(x);
  let up = (x < y) == (x > 0.0);
  return bitcast<f32>(select(b - 1u, b + 1u, up));
}`,
  },
  roundHalf: {
    // float32 -> the nearest float16 value (ties to even), kept as a float32, by bit arithmetic:
    // WGSL's f16 needs an optional feature, and software drivers fold pack2x16float/unpack away.
    src: `fn k_round_half(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  let sign = b & 0x80000000u;
  let a = b & 0x7fffffffu;
  if (a >= 0x7f800000u) { return x; }
  if (a >= 0x477ff000u) { return bitcast<f32>(sign | 0x7f800000u); }
  if (a < 0x38800000u) {
    let r = round(bitcast<f32>(a) * 16777216.0) / 16777216.0;
    return bitcast<f32>(sign | bitcast<u32>(r));
  }
  let r = a + 0x0fffu + ((a >> 13u) & 1u);
  return bitcast<f32>(sign | (r & 0xffffe000u));
}`,
  },
  idiv: {
    src: `fn k_idiv(a: i32, b: i32) -> i32 {
  if (b == 0) { return -1; }
  if (b == -1) { return 0 - a; }
  return a / b;
}`,
  },
  udiv: { src: "fn k_udiv(a: u32, b: u32) -> u32 { if (b == 0u) { return 0xffffffffu; } return a / b; }" },
  irem: { src: "fn k_irem(a: i32, b: i32) -> i32 { if (b == 0) { return a; } if (b == -1) { return 0; } return a % b; }" },
  urem: { src: "fn k_urem(a: u32, b: u32) -> u32 { if (b == 0u) { return a; } return a % b; }" },
  frem: {
    src: `fn k_frem(a: f32, b: f32) -> f32 {
  if (b == 0.0 || a != a || b != b || abs(a) == ${F32_INF}) { return ${F32_NAN}; }
  if (abs(b) == ${F32_INF}) { return a; }
  // Exact for |a / b| < 2^24; the remainder keeps the dividend's sign, like C's fmod.
  let r = a - b * trunc(a / b);
  if (r == 0.0) { return a * 0.0; }
  return r;
}`,
  },
  ftoi: {
    src: `fn k_ftoi(x: f32) -> i32 {
  if (x != x) { return 0; }
  if (x >= 2147483648.0) { return 2147483647; }
  if (x <= -2147483648.0) { return bitcast<i32>(0x80000000u); }
  return i32(x);
}`,
  },
  ftou: {
    src: `fn k_ftou(x: f32) -> u32 {
  if (x != x || x <= 0.0) { return 0u; }
  if (x >= 4294967296.0) { return 0xffffffffu; }
  return u32(x);
}`,
  },
};

/** The WGSL source of the named helpers and everything they call, each once. */
export function helperSource(names: Iterable<string>): string {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (n: string) => {
    if (seen.has(n)) return;
    const h = HELPERS[n];
    if (!h) throw new Error(`internal: no WGSL helper '${n}'`);
    seen.add(n);
    for (const d of h.deps ?? []) add(d);
    out.push(h.src);
  };
  for (const n of names) add(n);
  return out.join("\n");
}
