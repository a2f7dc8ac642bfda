/**
 * @file Reusable fast-check generators: shapes, dtypes, type specs, broadcast-compatible shape
 * pairs, host data for a shape and dtype, and pytrees. Every property test in the repo should
 * draw from these so shrinking behaves the same everywhere.
 */
import fc from "fast-check";
import type { DType, TypeSpec } from "../../src/ir/index.js";

/** Every dtype Kiln knows. */
export const ALL_DTYPES: readonly DType[] = ["bool", "int32", "uint32", "float16", "float32", "float64"];
export const FLOAT_DTYPES: readonly DType[] = ["float16", "float32", "float64"];
export const INT_DTYPES: readonly DType[] = ["int32", "uint32"];

/** A dtype drawn from `among` (all dtypes by default). */
export const dtype = (among: readonly DType[] = ALL_DTYPES): fc.Arbitrary<DType> => fc.constantFrom(...among);

/** Every (dtype, weak) pair the promotion lattice distinguishes: weak only for int32/float32. */
export const ALL_TYPE_SPECS: readonly TypeSpec[] = [
  ...ALL_DTYPES.map((d) => ({ dtype: d, weak: false })),
  { dtype: "int32", weak: true },
  { dtype: "float32", weak: true },
];

/** A dtype with its weak flag. */
export const typeSpec = (): fc.Arbitrary<TypeSpec> => fc.constantFrom(...ALL_TYPE_SPECS);

/** A shape of rank in [minRank, maxRank] with dims in [minDim, maxDim]. */
export const shape = (
  opts: { minRank?: number; maxRank?: number; minDim?: number; maxDim?: number } = {},
): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: opts.minDim ?? 1, max: opts.maxDim ?? 4 }), {
    minLength: opts.minRank ?? 0,
    maxLength: opts.maxRank ?? 4,
  });

/**
 * Two shapes that broadcast together, with their broadcast result: each aligned dimension of
 * the inputs is either the result's or 1, and one shape may be shorter.
 */
export const broadcastPair = (
  opts: { maxRank?: number; maxDim?: number } = {},
): fc.Arbitrary<{ a: number[]; b: number[]; out: number[] }> =>
  shape({ maxRank: opts.maxRank ?? 4, maxDim: opts.maxDim ?? 4 }).chain((out) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
        fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
        fc.integer({ min: 0, max: out.length }),
        fc.boolean(),
      )
      .map(([onesA, onesB, drop, dropFromA]) => {
        let a = out.map((d, i) => (onesA[i] ? 1 : d));
        let b = out.map((d, i) => (onesB[i] && !onesA[i] ? 1 : d));
        // The leading axes dropped from one shape must come whole from the other.
        const [short, long] = dropFromA ? [a, b] : [b, a];
        for (let i = 0; i < drop; i++) long[i] = out[i];
        if (dropFromA) a = short.slice(drop);
        else b = short.slice(drop);
        return { a, b, out };
      }),
  );

/** Two shapes that do not broadcast: some aligned dimension differs and neither is 1. */
export const nonBroadcastPair = (): fc.Arbitrary<{ a: number[]; b: number[] }> =>
  fc
    .tuple(shape({ minRank: 1, maxRank: 3 }), fc.integer({ min: 2, max: 5 }), fc.integer({ min: 1, max: 3 }))
    .chain(([s, d, k]) =>
      fc.nat({ max: s.length - 1 }).map((i) => {
        const b = [...s];
        b[i] = s[i] === 1 ? d : s[i] + k; // differs from s[i] and neither is 1 unless s[i] was 1
        const a = s[i] === 1 ? s.map((x, j) => (j === i ? d + k : x)) : s;
        return { a, b };
      }),
    );

/** Finite values exactly representable in `d` (small, so sums and products stay exact-ish). */
export const value = (d: DType, opts: { min?: number; max?: number } = {}): fc.Arbitrary<number> => {
  const min = opts.min ?? -8;
  const max = opts.max ?? 8;
  switch (d) {
    case "bool":
      return fc.constantFrom(0, 1);
    case "int32":
      return fc.integer({ min, max });
    case "uint32":
      return fc.integer({ min: Math.max(0, min), max: Math.max(0, max) });
    default:
      // Multiples of 1/4 are exact in every float dtype.
      return fc.integer({ min: min * 4, max: max * 4 }).map((k) => k / 4);
  }
};

/** Host data of `size` elements of dtype `d`. */
export const data = (d: DType, size: number, opts: { min?: number; max?: number } = {}): fc.Arbitrary<number[]> =>
  fc.array(value(d, opts), { minLength: size, maxLength: size });

/** A shape together with float data filling it. */
export const shapedData = (
  shapeOpts: Parameters<typeof shape>[0] = {},
  d: DType = "float32",
): fc.Arbitrary<{ shape: number[]; data: number[] }> =>
  shape(shapeOpts).chain((s) => data(d, s.reduce((a, b) => a * b, 1)).map((v) => ({ shape: s, data: v })));

/** A leaf for pytree tests: a tagged object that is never mistaken for a container. */
export class Leaf {
  constructor(readonly id: number) {}
}

/**
 * Pytrees of plain objects, arrays, null/undefined and `leaf` values, up to `depth` levels.
 * Object keys are short identifiers so sorting and equality are easy to read in failures.
 */
export const pytree = <T>(leaf: fc.Arbitrary<T>, depth = 3): fc.Arbitrary<unknown> => {
  const { tree } = fc.letrec<{ tree: unknown; node: unknown }>((tie) => ({
    tree: fc.oneof({ depthSize: "small", maxDepth: depth, withCrossShrink: true }, leaf, tie("node")),
    node: fc.oneof(
      fc.array(tie("tree"), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom("a", "b", "c", "w", "z", "k1", "k2"), tie("tree"), { maxKeys: 3 }),
      fc.constantFrom(null, undefined),
    ),
  }));
  return tree;
};

/** A pytree whose leaves are numbered `Leaf` objects (unique, so order is observable). */
export const leafTree = (depth = 3): fc.Arbitrary<unknown> => {
  let n = 0;
  return pytree(fc.constant(null).map(() => new Leaf(n++)), depth);
};

/**
 * Where a primitive's operand values may lie: [min, max], and optionally at least `awayFromZero`
 * in magnitude (denominators, negative powers). Floats are drawn on a grid fine enough for
 * finite differences yet exact in the dtype, so every path sees the same inputs.
 */
export interface Domain {
  readonly min?: number;
  readonly max?: number;
  readonly awayFromZero?: number;
}

/**
 * Grid steps per unit for float values: exact in the dtype for |x| <= 16, and (float64, used by
 * the derivative checks) coarse enough that distinct values lie far apart compared with a
 * finite-difference step, so a step never crosses a kink such as max(a, b) at a == b.
 */
const GRAIN: Record<DType, number> = {
  bool: 1, int32: 1, uint32: 1, float16: 64, float32: 4096, float64: 4096,
};

/** A value of dtype `d` inside `dom` (default [-4, 4]; integers default to [-8, 8]). */
export const domainValue = (d: DType, dom: Domain = {}): fc.Arbitrary<number> => {
  if (d === "bool") return fc.constantFrom(0, 1);
  const isInt = d === "int32" || d === "uint32";
  const g = GRAIN[d];
  const lo = Math.max(dom.min ?? (isInt ? -8 : -4), d === "uint32" ? 0 : -Infinity);
  const hi = dom.max ?? (isInt ? 8 : 4);
  if (dom.awayFromZero !== undefined) {
    const a = Math.ceil(dom.awayFromZero * g);
    const pos = hi * g >= a ? fc.integer({ min: a, max: Math.floor(hi * g) }) : null;
    const neg = lo * g <= -a ? fc.integer({ min: Math.ceil(lo * g), max: -a }) : null;
    const arbs = [pos, neg].filter((x): x is fc.Arbitrary<number> => x !== null);
    return fc.oneof(...arbs).map((k) => k / g);
  }
  const k = fc.integer({ min: Math.ceil(lo * g), max: Math.floor(hi * g) });
  // Unbiased in float64 so ties (kinks of max, sort...) stay rare in derivative checks.
  return (d === "float64" ? fc.noBias(k) : k).map((v) => v / g);
};

/** `size` values of dtype `d` inside `dom`. */
export const domainData = (d: DType, size: number, dom: Domain = {}): fc.Arbitrary<number[]> =>
  fc.array(domainValue(d, dom), { minLength: size, maxLength: size });
