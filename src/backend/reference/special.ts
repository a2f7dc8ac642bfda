/**
 * @file Special functions in float64 for the reference backend: erf, erfc, erfinv, lgamma,
 * digamma. Accuracy targets (relative, float64): erf/erfc 1e-14, lgamma/digamma 1e-13,
 * erfinv 1e-14 after Newton refinement; tested in special.test.ts against tabulated values.
 */

/**
 * erf by the all-positive series erf x = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))
 * for |x| < 2.5 (the alternating Maclaurin series cancels badly near 2.5), and 1 - erfc beyond.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 2.5) {
    const x2 = a * a;
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  }
  return Math.sign(x) * (1 - erfcLarge(a));
}

/** erfc for a >= 1 by Lentz's continued fraction: erfc a = exp(-a^2)/sqrt(pi) * 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...)))). */
function erfcLarge(a: number): number {
  if (a > 27) return 0;
  const tiny = 1e-300;
  let f = a;
  let c = a;
  let d = 0;
  for (let n = 1; n < 1000; n++) {
    const an = n / 2;
    d = a + an * d;
    d = d === 0 ? tiny : d;
    c = a + an / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
}

export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  // 1 - erf(x) loses digits once erfc is small, so the continued fraction takes over at 1
  // (it needs under 200 terms there).
  if (x >= 1) return erfcLarge(x);
  return 1 - erf(x);
}

/** Inverse of erf on (-1, 1): Giles' single-precision approximation refined by Newton steps. */
export function erfinv(y: number): number {
  if (Number.isNaN(y) || y < -1 || y > 1) return NaN;
  if (y === 1) return Infinity;
  if (y === -1) return -Infinity;
  let w = -Math.log((1 - y) * (1 + y));
  let x: number;
  if (w < 5) {
    w -= 2.5;
    let p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503,
      -0.00417768164, 0.246640727, 1.50140941]) p = c + p * w;
    x = p * y;
  } else {
    w = Math.sqrt(w) - 3;
    let p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
      0.00943887047, 1.00167406, 2.83297682]) p = c + p * w;
    x = p * y;
  }
  // Newton on |y| by symmetry. In the tail (|y| > 0.5) it solves log erfc(x) = log(1 - |y|):
  // 1 - |y| is exact there, whereas erf(x) - y cancels to nothing, and the log makes the
  // equation nearly quadratic so Newton converges from Giles' float32 guess.
  const s = Math.sign(y);
  const ay = Math.abs(y);
  const c = 1 - ay;
  x = Math.abs(x);
  for (let i = 0; i < 12; i++) {
    const dens = (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x); // d erf / dx
    let step: number;
    if (ay > 0.5) {
      const e = erfc(x);
      step = Math.log(e / c) / (-dens / e);
    } else {
      step = (erf(x) - ay) / dens;
    }
    if (!Number.isFinite(step)) break;
    x -= step;
    if (Math.abs(step) <= 1e-16 * x) break;
  }
  return s * x;
}

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/** Riemann zeta(k) for k = 2..40 (the Taylor coefficients of lgamma around 1). */
const ZETA = [
  1.6449340668482264, 1.2020569031595942, 1.0823232337111381, 1.03692775514337, 1.0173430619844492,
  1.008349277381923, 1.0040773561979444, 1.0020083928260821, 1.000994575127818, 1.0004941886041194,
  1.000246086553308, 1.0001227133475785, 1.0000612481350588, 1.000030588236307, 1.0000152822594086,
  1.0000076371976379, 1.000003817293265, 1.0000019082127165, 1.0000009539620338, 1.0000004769329869,
  1.0000002384505027, 1.000000119219926, 1.000000059608189, 1.0000000298035034, 1.0000000149015549,
  1.0000000074507118, 1.000000003725334, 1.0000000018626598, 1.0000000009313275, 1.0000000004656628,
  1.000000000232831, 1.0000000001164155, 1.0000000000582077, 1.0000000000291038, 1.000000000014552,
  1.000000000007276, 1.000000000003638, 1.000000000001819, 1.0000000000009095,
];
const EULER_GAMMA = 0.5772156649015329;

/** lgamma(1 + z) = -gamma z + sum_k zeta(k) (-z)^k / k, for |z| <= 1/4 (error < 1e-17). */
function lgamma1p(z: number): number {
  let sum = 0;
  let p = -z; // (-z)^(k-1)
  for (let k = 2; k < ZETA.length + 2; k++) {
    p *= -z;
    sum += (ZETA[k - 2] * p) / k;
  }
  return -EULER_GAMMA * z + sum;
}

/**
 * log |Gamma(x)| by the Lanczos approximation and the reflection formula; near the zeros at 1
 * and 2 a Taylor series keeps the relative error small (Lanczos' absolute error of ~1e-15
 * would be a large relative error there).
 */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!Number.isFinite(x)) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (Math.abs(x - 1) <= 0.25) return lgamma1p(x - 1);
  if (Math.abs(x - 2) <= 0.25) return lgamma1p(x - 2) + Math.log1p(x - 2);
  if (x < 0.5) {
    // Gamma(x) Gamma(1-x) = pi / sin(pi x)
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  }
  if (x > 1e7) {
    // Stirling: avoids cancellation in the Lanczos sum's log at huge x.
    return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x);
  }
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** digamma(x) = d/dx log Gamma(x): recurrence up to x >= 10, then the asymptotic series. */
export function digamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return NaN;
  let result = 0;
  if (x < 0) {
    // psi(1 - x) - psi(x) = pi cot(pi x)
    result -= Math.PI / Math.tan(Math.PI * x);
    x = 1 - x;
  }
  // The series below is truncated after the x^-14 term; from x >= 10 the first omitted term
  // (3617/8160 x^-16) is below 1e-16.
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  // Bernoulli-number series: ln x - 1/2x - 1/12x^2 + 1/120x^4 - 1/252x^6 + 1/240x^8 - 1/132x^10
  //   + 691/32760x^12 - 1/12x^14
  const series =
    inv2 *
    (1 / 12 -
      inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132 - inv2 * (691 / 32760 - inv2 / 12))))));
  return result + Math.log(x) - 0.5 * inv - series;
}
