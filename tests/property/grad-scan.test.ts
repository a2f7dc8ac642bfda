/**
 * @file Reverse mode through loops and twice over: grad of an RNN-like lax.scan equals grad of
 * the same recurrence unrolled in JS (float64, random weights and sequences), and
 * grad(grad(f)) of scalar functions equals the closed-form second derivative.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tidy } from "../../src/trace/array.js";
import type { Tracer } from "../../src/trace/core.js";
import * as lax from "../../src/numpy/lax.js";
import { grad } from "../../src/autodiff/vjp.js";
import { propertyRuns } from "../helpers/assert.js";
import { arg } from "./spec-kit.js";
import { expectClose, host, toArray } from "./checks.js";

/** h' = tanh(W h + U x + b), y = sum(h' * v); loss = sum of ys + sum of the final h. */
const cell = (w: Tracer, u: Tracer, b: Tracer, v: Tracer) => (h: Tracer, x: Tracer): [Tracer, Tracer] => {
  const mv = (m: Tracer, z: Tracer) => lax.dotGeneral(m, z, [[[1], [0]], [[], []]]);
  const hn = lax.tanh(lax.add(lax.add(mv(w, h), mv(u, x)), b));
  return [hn, lax.reduceSum(lax.mul(hn, v), [0])];
};

const lossScan = (w: Tracer, u: Tracer, b: Tracer, v: Tracer, h0: Tracer, xs: Tracer, reverse: boolean) => {
  const [h, ys] = lax.scan(cell(w, u, b, v), h0, xs, { reverse }) as [Tracer, Tracer];
  return lax.add(lax.reduceSum(ys, [0]), lax.reduceSum(h, [0]));
};

const lossUnrolled = (w: Tracer, u: Tracer, b: Tracer, v: Tracer, h0: Tracer, xs: Tracer, reverse: boolean) => {
  const n = xs.shape[0];
  let h = h0;
  let total: Tracer = lax.convertElementType(0, "float64");
  for (let k = 0; k < n; k++) {
    const i = reverse ? n - 1 - k : k;
    const x = lax.reshape(lax.slice(xs, [i, 0], [i + 1, xs.shape[1]]), [xs.shape[1]]);
    const [hn, y] = cell(w, u, b, v)(h, x);
    h = hn;
    total = lax.add(total, y);
  }
  return lax.add(total, lax.reduceSum(h, [0]));
};

const rnnCase = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 4 }), fc.boolean())
  .chain(([nh, nx, len, reverse]) =>
    fc.tuple(
      arg("float64", [nh, nh], { min: -1, max: 1 }), arg("float64", [nh, nx], { min: -1, max: 1 }),
      arg("float64", [nh], { min: -1, max: 1 }), arg("float64", [nh], { min: -1, max: 1 }),
      arg("float64", [nh], { min: -1, max: 1 }), arg("float64", [len, nx], { min: -2, max: 2 }),
      fc.constant(reverse),
    ));

describe("grad through lax.scan", () => {
  it("equals grad of the unrolled loop for an RNN cell (all weights, initial state and inputs)", () => {
    fc.assert(
      fc.property(rnnCase, ([w, u, b, v, h0, xs, reverse]) =>
        tidy(() => {
          const args = [w, u, b, v, h0, xs].map(toArray);
          const argnums = [0, 1, 2, 3, 4, 5];
          const viaScan = grad((...a: Tracer[]) => lossScan(a[0], a[1], a[2], a[3], a[4], a[5], reverse), { argnums })(...args) as Tracer[];
          const unrolled = grad((...a: Tracer[]) => lossUnrolled(a[0], a[1], a[2], a[3], a[4], a[5], reverse), { argnums })(...args) as Tracer[];
          expectClose(viaScan, unrolled, `scan grad (reverse ${reverse})`, { rtol: 1e-12, atol: 1e-12 });
        }),
      ),
      { numRuns: propertyRuns(15) },
    );
  });
});

/** f, f'' in closed form. */
const SECOND: [string, (x: Tracer) => Tracer, (x: number) => number][] = [
  ["sin", lax.sin, (x) => -Math.sin(x)],
  ["exp", lax.exp, (x) => Math.exp(x)],
  ["x^3", (x) => lax.integerPow(x, 3), (x) => 6 * x],
  ["x*x*x", (x) => lax.mul(lax.mul(x, x), x), (x) => 6 * x],
  ["tanh", lax.tanh, (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2)],
  ["logistic", lax.logistic, (x) => {
    const s = 1 / (1 + Math.exp(-x));
    return s * (1 - s) * (1 - 2 * s);
  }],
  ["log", lax.log, (x) => -1 / (x * x)],
];

describe("grad(grad(f)) equals the closed-form second derivative", () => {
  for (const [name, f, f2] of SECOND) {
    it(name, () => {
      const lo = name === "log" ? 0.25 : -3;
      fc.assert(
        fc.property(arg("float64", [], { min: lo, max: 3 }), (x) =>
          tidy(() => {
            const d2 = grad(grad(f))(toArray(x)) as Tracer;
            expect(d2.dtype).toBe("float64");
            const want = f2(x.data[0]);
            const got = host(d2)[0];
            expect(Math.abs(got - want), `${name}''(${x.data[0]}) = ${want}, got ${got}`).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(want)));
          }),
        ),
        { numRuns: propertyRuns(10) },
      );
    });
  }
});
