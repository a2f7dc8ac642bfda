/**
 * @file Float32 transcendentals written once against `Ops`, so each exists in a scalar (f32) and
 * a SIMD (f32x4) variant: SIMD code inlines them into the kernel loop, scalar code calls them
 * as helper functions. Branches are selects, so lanes never diverge. Polynomial coefficients are Chebyshev interpolants of the target functions, fitted
 * in float64 on the stated intervals and rounded to float32 (our own fits; the float64 fitter
 * is a dozen lines: interpolate at Chebyshev nodes, expand Newton's form into monomials).
 *
 * Stated maximum errors versus float64 `Math.*` (checked by math.test.ts over dense grids and
 * edge cases; 1 ulp = the float32 spacing at the true value):
 * - exp, exp2, log, log1p, expm1, logistic, tanh, sinh, cosh, asinh, acosh, atanh, atan, atan2,
 *   asin, acos, erf: <= 3 ulp (measured: exp/exp2/log <= 1, the rest <= 2.3). cbrt: <= 2 ulp.
 *   pow (float64 internally): <= 1 ulp.
 * - sin, cos, tan: <= 3 ulp for |x| <= 6000 (Cody-Waite reduction with a 4-part pi/2; j*P1 is
 *   exact below 2^12 quadrants); larger arguments branch to the float64 host `Math.*` (<= 1 ulp).
 * - erfc: <= 5 ulp (relative to its own value, down to the float32 normal range; measured 4.1).
 * - erf_inv: <= 3 ulp (Giles' float32 initial guess plus one Newton step on erf or erfc).
 * lgamma and digamma are host calls in float64 (see `ModuleCtx.host`), as are all float64
 * transcendentals.
 */
import type { Ops, Val } from "./ops.js";

type Body = (o: Ops, xs: Val[]) => Val;

const f32 = Math.fround;
const LOG2E = f32(Math.LOG2E);
const LN2 = f32(Math.LN2);
const LN2_HI = 0.69317626953125; // 14 significant bits: k * LN2_HI is exact for |k| < 2^10
const LN2_LO = f32(Math.LN2 - LN2_HI);
// pi/2 in four parts, the first three of 12 bits, so j * PIO2_k is exact for |j| < 2^12.
const PIO2_1 = 1.57080078125;
const PIO2_2 = -4.453584551811218e-6;
const PIO2_3 = -8.706138032721356e-10;
const PIO2_4 = 6.217248937900877e-14;
const PIO2 = f32(Math.PI / 2);
const PIO2_LO = f32(Math.PI / 2 - PIO2);
const PI = f32(Math.PI);
const PI_LO = f32(Math.PI - PI);
const PIO4 = f32(Math.PI / 4);
const MAGIC = 12582912; // 1.5 * 2^23
const MAGIC_BITS = 0x4b400000;

// (e^r - 1 - r) / r^2 on |r| <= ln2/2
const EXP = [0.5, 0.1666666716337204, 0.04166646674275398, 0.00833331048488617, 0.0013933641603216529, 0.00019890980911441147];
// (log1p f - f + f^2/2) / f^3 on [sqrt(1/2) - 1, sqrt(2) - 1]
const LOG = [0.3333333134651184, -0.2499999701976776, 0.20000715553760529, -0.1666780263185501, 0.14249058067798615,
  -0.12425687164068222, 0.11685419827699661, -0.11479733884334564, 0.06971611082553864];
// (sin r - r) / r^3 and (cos r - 1 + r^2/2) / r^4 as polynomials in z = r^2, |r| <= pi/4
const SIN = [-0.1666666716337204, 0.008333331905305386, -0.00019840087043121457, 0.0000027249925551586784];
const COS = [0.0416666679084301, -0.00138888880610466, 0.000024800603569019586, -2.730119206262316e-7];
const TAN = [0.3333333432674408, 0.13333231210708618, 0.05399446561932564, 0.02162112668156624, 0.00996214710175991,
  0.0011853217147290707, 0.0038431398570537567];
// (tanh a - a) / a^3 in z = a^2, |a| <= 0.55
const TANH = [-0.3333333432674408, 0.1333332359790802, -0.05396470054984093, 0.02181844972074032, -0.008526332676410675,
  0.0025263905990868807];
// (atan c - c) / c^3 in z = c^2, |c| <= tan(pi/8)
const ATAN = [-0.3333333432674408, 0.19999977946281433, -0.14284151792526245, 0.1107136532664299, -0.08624675869941711,
  0.05048137903213501];
// (asin s - s) / s^3 in z = s^2, |s| <= 1/2
const ASIN = [0.1666666567325592, 0.07500094175338745, 0.04459940269589424, 0.031100662425160408, 0.017149237915873528,
  0.03369084745645523];
// erf(a) / a in z = a^2, a <= 1
const ERF = [1.1283791065216064, -0.37612342834472656, 0.11280316859483719, -0.026715055108070374, 0.004921761807054281,
  -0.0005648059886880219];
// erfc(a) e^(a^2) in t = a - 1.25, 1/2 <= a <= 2
const ERFC_A = [0.36782291531562805, -0.20882189273834229, 0.10679557174444199, -0.05021784454584122, 0.022011231631040573,
  -0.009085889905691147, 0.0035544259008020163, -0.0013086977414786816, 0.0004686912870965898, -0.00019245011208113283,
  0.00006318043597275391];
// a erfc(a) e^(a^2) in u = 1/a^2, 2 <= a <= 10.1
const ERFC_B = [0.5641895532608032, -0.28209125995635986, 0.4228629469871521, -1.0464611053466797, 3.4230008125305176,
  -12.110135078430176, 37.95476531982422, -88.64559173583984, 129.52420043945312, -86.60204315185547];
// Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), single-precision branch coefficients.
const ERFINV_A = [1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087, -4.39150654e-6, -3.5233877e-6,
  3.43273939e-7, 2.81022636e-8];
const ERFINV_B = [2.83297682, 1.00167406, 0.00943887047, -0.0076224613, 0.00573950773, -0.00367342844, 0.00134934322,
  0.000100950558, -0.000200214257];

const poly = (o: Ops, x: Val, cs: readonly number[]): Val => {
  let s = o.f(cs[cs.length - 1], x.t);
  for (let i = cs.length - 2; i >= 0; i--) s = o.bin("add", o.bin("mul", s, x), o.f(cs[i], x.t));
  return s;
};
const add = (o: Ops, a: Val, b: Val) => o.bin("add", a, b);
const sub = (o: Ops, a: Val, b: Val) => o.bin("sub", a, b);
const mul = (o: Ops, a: Val, b: Val) => o.bin("mul", a, b);
const div = (o: Ops, a: Val, b: Val) => o.bin("div", a, b);
const mask = (o: Ops, i: Val, bit: number) => o.bin("ne", o.bin("and", i, o.i(bit)), o.i(0));
/** x clamped to [lo, hi], NaN passing through. */
const clamp = (o: Ops, x: Val, lo: number, hi: number) => o.bin("pmin", o.bin("pmax", x, o.f(lo, x.t)), o.f(hi, x.t));

/** 2^k as float32 for an integer k in [-126, 127]. */
const pow2 = (o: Ops, k: Val) => o.bits(o.shift("shl", o.bin("add", k, o.i(127)), 23), true);
/** y * 2^k for k in [-252, 254], in two exact steps so subnormal results round once. */
const scale = (o: Ops, y: Val, k: Val) => {
  const k1 = o.shift("shrS", k, 1);
  return mul(o, mul(o, y, pow2(o, k1)), pow2(o, o.bin("sub", k, k1)));
};

/**
 * The integer nearest to y (|y| < 2^22) as [float, int], by adding 1.5 * 2^23: the sum's low
 * mantissa bits are the integer. Cheaper than nearest + trunc_sat, which SIMD lowers to long
 * sequences on x86. NaN gives NaN as the float.
 */
const roundInt = (o: Ops, y: Val): [Val, Val] => {
  const j = add(o, y, o.f(MAGIC));
  return [sub(o, j, o.f(MAGIC)), o.bin("sub", o.bits(j), o.i(MAGIC_BITS))];
};
/**
 * p * 2^k for p in [1/2, 2]: adds k to p's exponent field when the result is normal, and takes
 * the two-step `scale` (a branch, rarely taken) when any lane underflows or overflows.
 */
const scaleNormal = (o: Ops, p: Val, k: Val) =>
  o.cond(o.bin("gtU", o.bin("add", k, o.i(125)), o.i(251)), "f32", () => scale(o, p, k),
    () => o.bits(o.bin("add", o.bits(p), o.shift("shl", k, 23)), true));

/** Splits x = k ln2 + r, |r| <= ln2/2; returns [k as float, k as int, r]. */
const reduceLn2 = (o: Ops, x: Val): [Val, Val, Val] => {
  const [k, ki] = roundInt(o, mul(o, x, o.f(LOG2E)));
  return [k, ki, sub(o, sub(o, x, mul(o, k, o.f(LN2_HI))), mul(o, k, o.f(LN2_LO)))];
};
/** e^r - 1 for |r| <= ln2/2. */
const expm1Small = (o: Ops, r: Val) => add(o, r, mul(o, mul(o, r, r), poly(o, r, EXP)));

const exp: Body = (o, [x]) => {
  const [, ki, r] = reduceLn2(o, clamp(o, x, -104, 89));
  return scaleNormal(o, add(o, o.f(1), expm1Small(o, r)), ki);
};

const exp2: Body = (o, [x]) => {
  const xc = clamp(o, x, -152, 129);
  const [k, ki] = roundInt(o, xc);
  return scaleNormal(o, add(o, o.f(1), expm1Small(o, mul(o, sub(o, xc, k), o.f(LN2)))), ki);
};

const expm1: Body = (o, [x]) => {
  const [k, ki, r] = reduceLn2(o, clamp(o, x, -104, 89));
  const em = expm1Small(o, r);
  // 2^k em + (2^k - 1): exact 2^k - 1 keeps small results accurate; past 2^24 the -1 is noise.
  const t = pow2(o, o.bin("max", ki, o.i(-60)));
  const small = add(o, mul(o, t, em), sub(o, t, o.f(1)));
  const big = sub(o, scale(o, add(o, em, o.f(1)), ki), o.f(1));
  return o.sel(o.bin("gt", k, o.f(24)), big, small);
};

const log: Body = (o, [x]) => {
  const sub_ = o.bin("lt", x, o.f(2 ** -126));
  const xs = o.sel(sub_, mul(o, x, o.f(2 ** 24)), x);
  const b = o.bits(xs);
  // Exponent relative to sqrt(1/2), so the mantissa lands in [sqrt(1/2), sqrt(2)).
  const e = o.shift("shrS", o.bin("sub", b, o.i(0x3f3504f3)), 23);
  const m = o.bits(o.bin("sub", b, o.shift("shl", e, 23)), true);
  const ef = sub(o, o.cvt(e, "f32"), o.sel(sub_, o.f(24), o.f(0)));
  const f = sub(o, m, o.f(1));
  const y = add(o, f, mul(o, mul(o, f, f), sub(o, mul(o, f, poly(o, f, LOG)), o.f(0.5))));
  let r = add(o, add(o, mul(o, ef, o.f(LN2_HI)), y), mul(o, ef, o.f(LN2_LO)));
  r = o.sel(o.bin("eq", x, o.f(Infinity)), x, r);
  r = o.sel(o.bin("eq", x, o.f(0)), o.f(-Infinity), r);
  return o.sel(o.bin("or", o.bin("lt", x, o.f(0)), o.bin("ne", x, x)), o.f(NaN), r);
};

const log1p: Body = (o, [x]) => {
  const u = add(o, o.f(1), x);
  // log(1 + x) = log(u) + (x - (u - 1)) / u corrects the rounding of u.
  const c = div(o, sub(o, x, sub(o, u, o.f(1))), u);
  return add(o, o.call("log", [u]), o.sel(o.bin("ne", c, c), o.f(0), c));
};

/** x = j pi/2 + r (Cody-Waite); returns [quadrant j as int, r]. */
const reducePio2 = (o: Ops, x: Val): [Val, Val] => {
  const [j, ji] = roundInt(o, mul(o, x, o.f(f32(2 / Math.PI))));
  let r = sub(o, x, mul(o, j, o.f(PIO2_1)));
  r = sub(o, r, mul(o, j, o.f(PIO2_2)));
  r = sub(o, r, mul(o, j, o.f(PIO2_3)));
  r = sub(o, r, mul(o, j, o.f(PIO2_4)));
  return [ji, r];
};
const sinCos = (o: Ops, r: Val): [Val, Val] => {
  const z = mul(o, r, r);
  const s = add(o, r, mul(o, mul(o, r, z), poly(o, z, SIN)));
  const c = add(o, sub(o, o.f(1), mul(o, z, o.f(0.5))), mul(o, mul(o, z, z), poly(o, z, COS)));
  return [s, c];
};
/** Past |x| = 6000 the 12-bit j * PIO2_1 is inexact: such inputs (rare) go to the float64 host. */
const trig = (name: string, fast: Body): Body => (o, [x]) =>
  o.cond(o.bin("gt", o.un("abs", x), o.f(6000)), "f32", () => o.host(name, [x]), () => fast(o, [x]));

const sin: Body = (o, [x]) => {
  const [q, r] = reducePio2(o, x);
  const [s, c] = sinCos(o, r);
  const v = o.sel(mask(o, q, 1), c, s);
  return o.sel(mask(o, q, 2), o.un("neg", v), v);
};
const cos: Body = (o, [x]) => {
  const [q, r] = reducePio2(o, x);
  const [s, c] = sinCos(o, r);
  const v = o.sel(mask(o, q, 1), s, c);
  return o.sel(mask(o, o.bin("add", q, o.i(1)), 2), o.un("neg", v), v);
};
const tan: Body = (o, [x]) => {
  const [q, r] = reducePio2(o, x);
  const z = mul(o, r, r);
  const t = add(o, r, mul(o, mul(o, r, z), poly(o, z, TAN)));
  return o.sel(mask(o, q, 1), div(o, o.f(-1), t), t);
};

/** atan of t in [0, 1]. */
const atanUnit = (o: Ops, t: Val): Val => {
  const mid = o.bin("gt", t, o.f(0.41421356));
  const c = o.sel(mid, div(o, sub(o, t, o.f(1)), add(o, t, o.f(1))), t);
  const z = mul(o, c, c);
  const a = add(o, c, mul(o, mul(o, c, z), poly(o, z, ATAN)));
  return o.sel(mid, add(o, o.f(PIO4), a), a);
};
const atan: Body = (o, [x]) => {
  const a = o.un("abs", x);
  const inv = o.bin("gt", a, o.f(1));
  const r = atanUnit(o, o.sel(inv, div(o, o.f(1), a), a));
  return o.bin("copysign", o.sel(inv, add(o, sub(o, o.f(PIO2), r), o.f(PIO2_LO)), r), x);
};
const atan2: Body = (o, [y, x]) => {
  const ax = o.un("abs", x);
  const ay = o.un("abs", y);
  const sw = o.bin("gt", ay, ax);
  const den = o.sel(sw, ay, ax);
  let t = div(o, o.sel(sw, ax, ay), den);
  t = o.sel(o.bin("and", o.bin("eq", ax, o.f(Infinity)), o.bin("eq", ay, o.f(Infinity))), o.f(1), t);
  t = o.sel(o.bin("eq", den, o.f(0)), o.f(0), t);
  let a = atanUnit(o, t);
  a = o.sel(sw, add(o, sub(o, o.f(PIO2), a), o.f(PIO2_LO)), a);
  a = o.sel(o.bin("lt", o.bits(x), o.i(0)), add(o, sub(o, o.f(PI), a), o.f(PI_LO)), a);
  return o.sel(o.bin("or", o.bin("ne", x, x), o.bin("ne", y, y)), add(o, x, y), o.bin("copysign", a, y));
};

/** asin of s in [0, 1/2] given z = s^2. */
const asinHalf = (o: Ops, s: Val, z: Val) => add(o, s, mul(o, mul(o, s, z), poly(o, z, ASIN)));
const asinParts = (o: Ops, x: Val): [Val, Val] => {
  const a = o.un("abs", x);
  const big = o.bin("gt", a, o.f(0.5));
  const z = o.sel(big, mul(o, o.f(0.5), sub(o, o.f(1), a)), mul(o, a, a));
  return [big, asinHalf(o, o.sel(big, o.un("sqrt", z), a), z)];
};
const asin: Body = (o, [x]) => {
  const [big, p] = asinParts(o, x);
  const hi = add(o, sub(o, o.f(PIO2), add(o, p, p)), o.f(PIO2_LO));
  return o.bin("copysign", o.sel(big, hi, p), x);
};
const acos: Body = (o, [x]) => {
  const [big, p] = asinParts(o, x);
  const small = add(o, sub(o, o.f(PIO2), o.bin("copysign", p, x)), o.f(PIO2_LO));
  const p2 = add(o, p, p);
  const large = o.sel(o.bin("lt", x, o.f(0)), add(o, sub(o, o.f(PI), p2), o.f(PI_LO)), p2);
  return o.sel(big, large, small);
};

const tanh: Body = (o, [x]) => {
  const a = o.un("abs", x);
  // 1 - 2/(e^2a + 1) loses no bits from |x| = 0.55 on; below, an odd polynomial.
  const big = () => sub(o, o.f(1), div(o, o.f(2), add(o, exp(o, [add(o, a, a)]), o.f(1))));
  const small = () => {
    const z = mul(o, a, a);
    return add(o, a, mul(o, mul(o, a, z), poly(o, z, TANH)));
  };
  const isSmall = o.bin("lt", a, o.f(0.55));
  // Neighbouring lanes are usually on one side: branch, and compute both only for mixed vectors.
  const both = () => o.sel(isSmall, small(), big());
  const v = o.cond(isSmall, "f32", () => o.cond(o.bin("ge", a, o.f(0.55)), "f32", both, small), big);
  return o.bin("copysign", v, x);
};
const logistic: Body = (o, [x]) => {
  const e = exp(o, [o.un("neg", o.un("abs", x))]);
  const r = div(o, o.f(1), add(o, o.f(1), e));
  return o.sel(o.bin("ge", x, o.f(0)), r, mul(o, e, r));
};
/** e^a / 2 for a up to 89.5 without overflowing e^a. */
const halfExpBig = (o: Ops, a: Val) => {
  const h = o.call("exp", [mul(o, a, o.f(0.5))]);
  return mul(o, mul(o, h, o.f(0.5)), h);
};
const sinh: Body = (o, [x]) => {
  const a = o.un("abs", x);
  const em = o.call("expm1", [a]);
  const small = mul(o, o.f(0.5), add(o, em, div(o, em, add(o, em, o.f(1)))));
  return o.bin("copysign", o.sel(o.bin("gt", a, o.f(88)), halfExpBig(o, a), small), x);
};
const cosh: Body = (o, [x]) => {
  const a = o.un("abs", x);
  const e = o.call("exp", [a]);
  const small = add(o, mul(o, o.f(0.5), e), div(o, o.f(0.5), e));
  return o.sel(o.bin("gt", a, o.f(88)), halfExpBig(o, a), small);
};
const logBig = (o: Ops, a: Val) => add(o, o.call("log", [a]), o.f(LN2));
const asinh: Body = (o, [x]) => {
  const a = o.un("abs", x);
  const a2 = mul(o, a, a);
  const s = o.call("log1p", [add(o, a, div(o, a2, add(o, o.f(1), o.un("sqrt", add(o, o.f(1), a2)))))]);
  return o.bin("copysign", o.sel(o.bin("gt", a, o.f(4096)), logBig(o, a), s), x);
};
const acosh: Body = (o, [x]) => {
  const t = sub(o, x, o.f(1));
  const s = o.call("log1p", [add(o, t, o.un("sqrt", add(o, add(o, t, t), mul(o, t, t))))]);
  return o.sel(o.bin("gt", x, o.f(4096)), logBig(o, x), s);
};
const atanh: Body = (o, [x]) => {
  const a = o.un("abs", x);
  const r = mul(o, o.f(0.5), o.call("log1p", [div(o, add(o, a, a), sub(o, o.f(1), a))]));
  return o.bin("copysign", r, x);
};

const cbrt: Body = (o, [x]) => {
  const a = o.un("abs", x);
  const tiny = o.bin("lt", a, o.f(2 ** -126));
  const as = o.sel(tiny, mul(o, a, o.f(2 ** 24)), a);
  // bits/3 + (2/3) bits(1.0) approximates the exponent division; the int /3 goes through float.
  const third = o.cvt(mul(o, o.cvt(o.bits(as), "f32"), o.f(1 / 3)), "i32");
  let y = o.bits(o.bin("add", third, o.i(0x2a555555)), true);
  for (let i = 0; i < 4; i++) y = mul(o, add(o, add(o, y, y), div(o, as, mul(o, y, y))), o.f(1 / 3));
  y = mul(o, y, o.sel(tiny, o.f(2 ** -8), o.f(1)));
  const special = o.bin("or", o.bin("eq", a, o.f(0)), o.bin("or", o.bin("eq", a, o.f(Infinity)), o.bin("ne", x, x)));
  return o.sel(special, x, o.bin("copysign", y, x));
};

/** erfc(a) for a >= 1/2 (a is |x|): e^(-a^2) Q(a) with a^2 split into hi + lo so the exponent is exact. */
const erfcBig = (o: Ops, a: Val): Val => {
  const hi = mul(o, a, a);
  const ah = o.bits(o.bin("and", o.bits(a), o.i(-4096)), true);
  const al = sub(o, a, ah);
  const lo = add(o, add(o, sub(o, mul(o, ah, ah), hi), mul(o, add(o, ah, ah), al)), mul(o, al, al));
  // Shift e^(-hi) by e^32 while computing so that subnormal results round only once.
  const far = o.bin("gt", hi, o.f(60));
  const e = mul(o, o.call("exp", [sub(o, o.sel(far, o.f(32), o.f(0)), hi)]), sub(o, o.f(1), lo));
  const qa = poly(o, sub(o, a, o.f(1.25)), ERFC_A);
  const qb = div(o, poly(o, div(o, o.f(1), hi), ERFC_B), a);
  const r = mul(o, e, o.sel(o.bin("lt", a, o.f(2)), qa, qb));
  return mul(o, r, o.sel(far, o.f(f32(Math.exp(-32))), o.f(1)));
};
const erfSmall = (o: Ops, a: Val) => mul(o, a, poly(o, mul(o, a, a), ERF));
const erf: Body = (o, [x]) => {
  const a = o.un("abs", x);
  const big = o.bin("ge", a, o.f(1));
  const r = o.sel(big, sub(o, o.f(1), erfcBig(o, o.bin("pmin", a, o.f(11)))), erfSmall(o, a));
  return o.bin("copysign", r, x);
};
const erfc: Body = (o, [x]) => {
  const a = o.un("abs", x);
  // From 1/2 on, 1 - erf would lose bits to cancellation: e^(-a^2) Q(a) directly.
  const c = erfcBig(o, clamp(o, a, 0.5, 11));
  const big = o.sel(o.bin("lt", x, o.f(0)), sub(o, o.f(2), c), c);
  return o.sel(o.bin("ge", a, o.f(0.5)), big, sub(o, o.f(1), o.bin("copysign", erfSmall(o, a), x)));
};
const erfInv: Body = (o, [y]) => {
  const a = o.un("abs", y);
  const c = sub(o, o.f(1), a);
  const w = o.un("neg", o.call("log", [mul(o, c, add(o, o.f(1), a))]));
  const central = o.bin("lt", w, o.f(5));
  const t = o.sel(central, sub(o, w, o.f(2.5)), sub(o, o.un("sqrt", w), o.f(3)));
  let x = mul(o, o.sel(central, poly(o, t, ERFINV_A), poly(o, t, ERFINV_B)), a);
  // One Newton step; in the tail it uses erfc against the exact 1 - |y| instead of erf - |y|.
  const dens = mul(o, o.f(f32(2 / Math.sqrt(Math.PI))), o.call("exp", [o.un("neg", mul(o, x, x))]));
  const f = o.sel(o.bin("gt", a, o.f(0.5)), sub(o, c, o.call("erfc", [x])), sub(o, o.call("erf", [x]), a));
  const step = div(o, f, dens);
  x = sub(o, x, o.sel(o.bin("ne", step, step), o.f(0), step));
  x = o.sel(o.bin("eq", a, o.f(1)), o.f(Infinity), x);
  return o.bin("copysign", x, y);
};

/** pow in float64 (scalar only): log2|x| by the atanh series, 2^t by Taylor, IEEE/JS special cases. */
const pow: Body = (o, [x, y]) => {
  const ax = o.un("abs", x);
  const tiny = o.bin("lt", ax, o.f(2 ** -126));
  const b = o.bits(o.sel(tiny, mul(o, ax, o.f(2 ** 24)), ax));
  const e = o.shift("shrS", o.bin("sub", b, o.i(0x3f3504f3)), 23);
  const m = o.cvt(o.bits(o.bin("sub", b, o.shift("shl", e, 23)), true), "f64");
  const s = o.bin("div", o.bin("sub", m, o.f(1, "f64")), o.bin("add", m, o.f(1, "f64")));
  const ser = poly(o, o.bin("mul", s, s), Array.from({ length: 10 }, (_, k) => 2 / (2 * k + 1)));
  const ef = o.bin("sub", o.cvt(e, "f64"), o.sel(tiny, o.f(24, "f64"), o.f(0, "f64")));
  const l2 = o.bin("add", ef, o.bin("mul", o.bin("mul", s, ser), o.f(Math.LOG2E, "f64")));
  const t = clamp(o, o.bin("mul", o.cvt(y, "f64"), l2), -300, 254);
  const k = o.un("nearest", t);
  const fr = o.bin("mul", o.bin("sub", t, k), o.f(Math.LN2, "f64"));
  let fact = 1;
  const ef2 = poly(o, fr, Array.from({ length: 13 }, (_, n) => 1 / (n === 0 ? 1 : (fact *= n))));
  const ki = o.cvt(k, "i32");
  const k1 = o.shift("shrS", ki, 1);
  const p1 = o.cvt(pow2(o, o.bin("max", k1, o.i(-126))), "f64");
  const p2 = o.cvt(pow2(o, o.bin("max", o.bin("sub", ki, k1), o.i(-126))), "f64");
  let r = o.cvt(o.bin("mul", o.bin("mul", ef2, p1), p2), "f32");
  const ypos = o.bin("gt", y, o.f(0));
  r = o.sel(o.bin("eq", ax, o.f(Infinity)), o.sel(ypos, o.f(Infinity), o.f(0)), r);
  r = o.sel(o.bin("eq", ax, o.f(0)), o.sel(ypos, o.f(0), o.f(Infinity)), r);
  const yint = o.bin("eq", o.un("trunc", y), y);
  const odd = o.bin("and", o.bin("lt", o.un("abs", y), o.f(2 ** 24)), o.bin("and", o.cvt(y, "i32"), o.i(1)));
  r = o.sel(o.bin("and", o.bin("lt", o.bits(x), o.i(0)), o.bin("and", yint, odd)), o.un("neg", r), r);
  const nan = o.bin("or", o.bin("and", o.bin("lt", x, o.f(0)), o.bin("and", o.bin("ne", ax, o.f(Infinity)), o.bin("eq", yint, o.i(0)))),
    o.bin("or", o.bin("ne", x, x), o.bin("ne", y, y)));
  const oneInf = o.bin("and", o.bin("eq", ax, o.f(1)), o.bin("eq", o.un("abs", y), o.f(Infinity)));
  r = o.sel(o.bin("or", nan, oneInf), o.f(NaN), r);
  return o.sel(o.bin("eq", y, o.f(0)), o.f(1), r);
};

/** Helper functions by name: arity, whether a SIMD variant exists, and the body. */
export const MATH_HELPERS: Record<string, { arity: number; vec: boolean; body: Body }> = {
  exp: { arity: 1, vec: true, body: exp },
  exp2: { arity: 1, vec: true, body: exp2 },
  expm1: { arity: 1, vec: true, body: expm1 },
  log: { arity: 1, vec: true, body: log },
  log1p: { arity: 1, vec: true, body: log1p },
  sin: { arity: 1, vec: true, body: trig("sin", sin) },
  cos: { arity: 1, vec: true, body: trig("cos", cos) },
  tan: { arity: 1, vec: true, body: trig("tan", tan) },
  atan: { arity: 1, vec: true, body: atan },
  atan2: { arity: 2, vec: true, body: atan2 },
  asin: { arity: 1, vec: true, body: asin },
  acos: { arity: 1, vec: true, body: acos },
  tanh: { arity: 1, vec: true, body: tanh },
  logistic: { arity: 1, vec: true, body: logistic },
  sinh: { arity: 1, vec: true, body: sinh },
  cosh: { arity: 1, vec: true, body: cosh },
  asinh: { arity: 1, vec: true, body: asinh },
  acosh: { arity: 1, vec: true, body: acosh },
  atanh: { arity: 1, vec: true, body: atanh },
  cbrt: { arity: 1, vec: true, body: cbrt },
  erf: { arity: 1, vec: true, body: erf },
  erfc: { arity: 1, vec: true, body: erfc },
  erf_inv: { arity: 1, vec: true, body: erfInv },
  pow: { arity: 2, vec: false, body: pow },
};
