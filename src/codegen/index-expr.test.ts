import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prim } from "../ir/index.js";
import { KOp, type RangeArg, type UOp, kconst, krange } from "./kernel-ir.js";
import { bound, flatIndex, iadd, idiv, imod, imul, unflatIndex } from "./index-expr.js";
import { propertyRuns } from "../../tests/helpers/assert.js";

/** Evaluates an index expression with range `id` bound to `at[id]` (integer ops truncate, like wasm). */
function evalIndex(u: UOp, at: readonly number[]): number {
  if (u.op === KOp.Const) return u.arg as number;
  if (u.op === KOp.Range) return at[(u.arg as RangeArg).id];
  const [a, b] = u.src.map((s) => evalIndex(s, at));
  switch ((u.arg as { prim: Prim }).prim) {
    case Prim.Add: return a + b;
    case Prim.Sub: return a - b;
    case Prim.Mul: return a * b;
    case Prim.Div: return Math.trunc(a / b);
    case Prim.Rem: return a % b;
    default: throw new Error(`unexpected ${String(u)}`);
  }
}

const shapeOf = (n: number) => fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: n });
const ranges = (shape: readonly number[]) => shape.map((d, i) => krange(i, d));
/** Every multi-index of `shape`. */
const points = (shape: readonly number[]): number[][] => shape.reduce<number[][]>((acc, d) => acc.flatMap((p) => Array.from({ length: d }, (_, i) => [...p, i])), [[]]);

describe("index arithmetic", () => {
  it("a reshape between row-major layouts folds back to the flat index itself (contiguous reads)", () => {
    // [128, 5, 5, 64] -> [128, 1600]: the flatten before a dense layer.
    const [n, j] = [krange(0, 128), krange(1, 1600)];
    const flat = flatIndex([n, j], [128, 1600]);
    expect(flatIndex(unflatIndex(flat, [128, 5, 5, 64]), [128, 5, 5, 64])).toBe(flat);
    expect(unflatIndex(flat, [128, 5, 5, 64])[0]).toBe(n);
  });

  it("reshapes compose to the same address for any pair of shapes of one size", () => {
    const gen = shapeOf(4).chain((a) => fc.shuffledSubarray(a, { minLength: a.length, maxLength: a.length }).chain((perm) =>
      fc.tuple(fc.constant(a), fc.constant(perm), fc.integer({ min: 0, max: perm.length }))));
    fc.assert(
      fc.property(gen, ([a, perm, cut]) => {
        // b: the same size, grouped differently (a permutation of a's dims, two of them merged).
        const b = cut < perm.length - 1 ? [...perm.slice(0, cut), perm[cut] * perm[cut + 1], ...perm.slice(cut + 2)] : perm;
        const rs = ranges(b);
        const direct = flatIndex(rs, b);
        const viaA = flatIndex(unflatIndex(flatIndex(unflatIndex(direct, a), a), b), b);
        for (const p of points(b)) expect(evalIndex(viaA, p)).toBe(evalIndex(direct, p));
      }),
      { numRuns: propertyRuns() },
    );
  });

  it("idiv and imod split off multiples of the divisor only where that is exact", () => {
    const gen = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 12 }));
    fc.assert(
      fc.property(gen, ([na, nb, k, off, c]) => {
        const [a, b] = [krange(0, na), krange(1, nb)];
        const e = iadd(iadd(imul(a, kconst(k * c)), b), kconst(off * c));
        for (let x = 0; x < na; x++) for (let y = 0; y < nb; y++) {
          const v = x * k * c + y + off * c;
          expect(evalIndex(idiv(e, c), [x, y])).toBe(Math.floor(v / c));
          expect(evalIndex(imod(e, c), [x, y])).toBe(v % c);
        }
        const ub = bound(e);
        expect(ub).toBe((na - 1) * k * c + nb + off * c);
      }),
      { numRuns: propertyRuns() },
    );
  });

  it("leaves expressions that may be negative alone (a pad's shifted index)", () => {
    const i = krange(0, 6);
    const p = iadd(i, kconst(-2));
    expect(bound(p)).toBeNull();
    expect(idiv(p, 8).op).toBe(KOp.Alu); // not folded to 0: p can be -2
    expect(flatIndex([imod(p, 3)], [3]).op).toBe(KOp.Alu);
  });
});
