/**
 * @file Activations against closed forms evaluated in JS doubles (float64 inputs), their
 * gradients (softplus' = sigmoid, one-sided kinks, no NaN from untaken branches), and behaviour
 * at large |x|.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { np, grad, jit, vmap, type Tracer } from "../index.js";
import { expectArray, propertyRuns } from "../../tests/helpers/assert.js";
import * as nn from "./index.js";

const XS = [-20, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 2.5, 6, 7, 20];
const f64 = (xs: number[]) => np.array(xs, { dtype: "float64" });
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const softplusJs = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
/** Φ(x) at a few points (standard normal CDF, from tables to 16 digits). */
const PHI: Record<number, number> = { [-1]: 0.15865525393145707, 0.5: 0.6914624612740131, 1: 0.8413447460685429, 2: 0.9772498680518208 };

const closed: [string, (x: Tracer) => Tracer, (x: number) => number][] = [
  ["relu", nn.relu, (x) => Math.max(x, 0)],
  ["relu6", nn.relu6, (x) => Math.min(Math.max(x, 0), 6)],
  ["sigmoid", nn.sigmoid, sig],
  ["softplus", nn.softplus, softplusJs],
  ["softSign", nn.softSign, (x) => x / (Math.abs(x) + 1)],
  ["silu", nn.silu, (x) => x * sig(x)],
  ["gelu (tanh)", (x) => nn.gelu(x), (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))],
  ["elu", (x) => nn.elu(x, 0.7), (x) => (x > 0 ? x : 0.7 * Math.expm1(x))],
  ["selu", nn.selu, (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Math.expm1(x))],
  ["celu", (x) => nn.celu(x, 0.5), (x) => Math.max(x, 0) + 0.5 * Math.expm1(Math.min(x, 0) / 0.5)],
  ["leakyRelu", (x) => nn.leakyRelu(x, 0.2), (x) => (x >= 0 ? x : 0.2 * x)],
  ["hardTanh", nn.hardTanh, (x) => Math.min(Math.max(x, -1), 1)],
  ["hardSigmoid", nn.hardSigmoid, (x) => Math.min(Math.max(x + 3, 0), 6) / 6],
  ["hardSilu", nn.hardSilu, (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6],
  ["logSigmoid", nn.logSigmoid, (x) => -softplusJs(-x)],
  ["mish", nn.mish, (x) => x * Math.tanh(softplusJs(x))],
];

describe("activations: closed forms", () => {
  it.each(closed)("%s", (_name, f, ref) => {
    const y = f(f64(XS));
    expect(y.dtype).toBe("float64");
    expectArray(y, XS.map(ref), { rtol: 1e-12, atol: 1e-14 });
  });

  it("gelu exact (erf form) at tabulated values, and swish = silu", () => {
    const xs = [-1, 0.5, 1, 2];
    expectArray(nn.gelu(f64(xs), { approximate: false }), xs.map((x) => x * PHI[x]), { rtol: 1e-7 });
    expectArray(nn.swish(f64([1])), [sig(1)], { rtol: 1e-12 });
  });

  it("accept JS numbers and integer arrays", () => {
    expectArray(nn.sigmoid(0), 0.5, { shape: [], dtype: "float32" });
    expectArray(nn.relu(np.array([-1, 2], { dtype: "int32" })), [0, 2], { dtype: "int32" });
    expectArray(nn.softplus(np.array([0], { dtype: "int32" })), [Math.LN2], { dtype: "float32" });
  });

  it("stay finite at large |x| in float32", () => {
    const big = np.array([-1000, -100, 100, 1000]);
    expectArray(nn.softplus(big), [0, 0, 100, 1000], { atol: 1e-30 });
    expectArray(nn.logSigmoid(big), [-1000, -100, 0, 0], { atol: 1e-30 });
    expectArray(nn.mish(big), [-0, -0, 100, 1000], { atol: 1e-30 });
    expectArray(nn.elu(big), [-1, -1, 100, 1000]);
  });

  it("glu gates one half with the other", () => {
    const x = np.array([[1, 2, 0, 100], [3, 4, -100, 0]]);
    expectArray(nn.glu(x), [[0.5, 2], [0, 2]], { atol: 1e-6 });
    expectArray(nn.glu(x, { axis: 0 }), [[sig(3), 2 * sig(4), 0, 50]], { atol: 1e-6 });
    expect(() => nn.glu(np.ones([2, 3]))).toThrow(/nn.glu: the split axis must have even size; received shape \[2,3\]/);
    expect(() => nn.glu(np.ones([2, 2]), { axis: 2 })).toThrow(/axis 2 is out of range/);
  });
});

const d = (f: (x: Tracer) => Tracer, xs: number[]) => grad((x: Tracer) => np.sum(f(x)))(f64(xs)) as Tracer;

describe("activations: gradients", () => {
  it("softplus' = sigmoid, sigmoid' = s(1 - s), silu' = s(1 + x(1 - s))", () => {
    expectArray(d(nn.softplus, XS), XS.map(sig), { rtol: 1e-12, atol: 1e-14 });
    expectArray(d(nn.sigmoid, XS), XS.map((x) => sig(x) * (1 - sig(x))), { rtol: 1e-12, atol: 1e-14 });
    expectArray(d(nn.silu, XS), XS.map((x) => sig(x) * (1 + x * (1 - sig(x)))), { rtol: 1e-12, atol: 1e-14 });
    expectArray(d(nn.logSigmoid, XS), XS.map((x) => 1 - sig(x)), { rtol: 1e-12, atol: 1e-14 });
  });

  it("one-sided derivatives at the kinks, as JAX", () => {
    expectArray(d(nn.relu, [-1, 0, 1]), [0, 0, 1]);
    expectArray(d(nn.relu6, [-1, 0, 3, 6, 7]), [0, 0, 1, 0, 0]);
    expectArray(d((x) => nn.leakyRelu(x, 0.1), [-1, 0, 1]), [0.1, 1, 1]);
    expectArray(d(nn.hardTanh, [-2, -0.5, 0.5, 2]), [0, 1, 1, 0]);
    expectArray(d(nn.elu, [-1, 0, 1]), [Math.exp(-1), 1, 1], { rtol: 1e-12 });
  });

  it("gelu' for both forms: Φ(x) + x φ(x) for the exact one", () => {
    const phi = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
    const xs = [-1, 0.5, 1, 2];
    expectArray(d((x) => nn.gelu(x, { approximate: false }), xs), xs.map((x) => PHI[x] + x * phi(x)), { rtol: 1e-7 });
    const k = Math.sqrt(2 / Math.PI);
    const tanhD = (x: number) => {
      const u = k * (x + 0.044715 * x ** 3);
      return 0.5 * (1 + Math.tanh(u)) + 0.5 * x * (1 - Math.tanh(u) ** 2) * k * (1 + 3 * 0.044715 * x * x);
    };
    expectArray(d((x) => nn.gelu(x), xs), xs.map(tanhD), { rtol: 1e-12 });
  });

  it("no NaN gradients from the untaken branch at extreme inputs", () => {
    const xs = [-1e4, -100, 100, 1e4];
    for (const f of [nn.softplus, nn.logSigmoid, nn.elu, nn.selu, (x: Tracer) => nn.celu(x, 0.1), nn.mish, nn.silu]) {
      const g = d(f, xs).dataSync();
      expect(Array.from(g).every(Number.isFinite), String(Array.from(g))).toBe(true);
    }
  });

  it("matches central differences at random points (property)", () => {
    const fs = [nn.softplus, nn.silu, nn.mish, (x: Tracer) => nn.gelu(x, { approximate: false }), nn.selu, nn.softSign, nn.logSigmoid];
    fc.assert(
      fc.property(fc.double({ min: -8, max: 8, noNaN: true }).filter((x) => Math.abs(x) > 1e-3), fc.nat(fs.length - 1), (x, i) => {
        const f = fs[i];
        const h = 1e-6;
        const at = (v: number) => (f(f64([v])).dataSync()[0] as number);
        const fd = (at(x + h) - at(x - h)) / (2 * h);
        const g = d(f, [x]).dataSync()[0] as number;
        expect(Math.abs(g - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
      }),
      { numRuns: propertyRuns(40) },
    );
  });

  it("trace under jit and batch under vmap", () => {
    const f = jit((x: Tracer) => nn.mish(nn.gelu(x)));
    const x = np.array([[-1, 0, 1], [2, 3, 4]]);
    expectArray(f(x), Array.from(nn.mish(nn.gelu(x)).dataSync()), { shape: [2, 3] });
    expectArray(vmap((r: Tracer) => nn.glu(r))(np.array([[1, 2, 0, 0], [3, 4, 0, 0]])), [[0.5, 1], [1.5, 2]]);
  });
});
