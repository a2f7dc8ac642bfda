/**
 * @file Abstract evaluation: the output avals of every primitive from its input avals.
 *
 * These rules are strict like `jax.lax`: binary primitives need equal shapes and dtypes (the `np`
 * layer broadcasts and promotes first). A rule throws a `ShapeError` or `DTypeError` naming the
 * primitive, what it received and what would fit; user-facing ops check first with their own name.
 */
import { ShapedArray } from "./aval.js";
import { type DType, isFloat, isInt, itemSize } from "./dtype.js";
import { BINARY_PRIMS, COMPARE_PRIMS, Prim, type PrimParams, UNARY_PRIMS } from "./primitives.js";
import { type Shape, shapeEqual, shapeStr } from "./shape.js";
import { convShapeRules } from "./shape-rules-conv.js";
import { indexingShapeRules } from "./shape-rules-indexing.js";
import { controlShapeRules } from "./shape-rules-control.js";
import { ShapeError, DTypeError } from "./errors.js";

export type ShapeRule<P extends Prim> = (
  avals: readonly ShapedArray[],
  params: PrimParams[P],
) => ShapedArray[];

const fmt = (avals: readonly ShapedArray[]): string => avals.map((a) => a.str()).join(", ");

function arity(prim: Prim, avals: readonly ShapedArray[], n: number): void {
  if (avals.length !== n) {
    throw new TypeError(`${prim}: expected ${n} operand(s), received ${avals.length}.`);
  }
}

const allWeak = (avals: readonly ShapedArray[]): boolean => avals.every((a) => a.weakType);

/** Which dtypes each elementwise primitive accepts. */
type DtypeClass = "any" | "float" | "int" | "intOrBool" | "numeric" | "signedNumeric";
const accepts = (cls: DtypeClass, d: DType): boolean => {
  switch (cls) {
    case "any":
      return true;
    case "float":
      return isFloat(d);
    case "int":
      return isInt(d);
    case "intOrBool":
      return isInt(d) || d === "bool";
    case "numeric":
      return d !== "bool";
    case "signedNumeric":
      return d !== "bool" && d !== "uint32";
    default:
      return cls satisfies never;
  }
};

const CLASS_TEXT: Record<DtypeClass, string> = {
  any: "any dtype",
  float: "a floating dtype (float16, float32, float64)",
  int: "an integer dtype (int32, uint32)",
  intOrBool: "an integer or bool dtype",
  numeric: "a numeric dtype (not bool)",
  signedNumeric: "a signed numeric dtype (float or int32)",
};

function checkClass(prim: Prim, cls: DtypeClass, a: ShapedArray): void {
  if (!accepts(cls, a.dtype)) {
    throw new DTypeError(
      `${prim}: expected ${CLASS_TEXT[cls]}, received ${a.str()}. ` +
        `Convert the operand with astype() first.`,
    );
  }
}

const UNARY_CLASS: Record<(typeof UNARY_PRIMS)[number], DtypeClass> = {
  [Prim.Neg]: "numeric",
  [Prim.Sign]: "numeric",
  [Prim.Floor]: "float",
  [Prim.Ceil]: "float",
  [Prim.Abs]: "numeric",
  [Prim.Exp]: "float",
  [Prim.Exp2]: "float",
  [Prim.Log]: "float",
  [Prim.Log1p]: "float",
  [Prim.Expm1]: "float",
  [Prim.Sqrt]: "float",
  [Prim.Rsqrt]: "float",
  [Prim.Cbrt]: "float",
  [Prim.Sin]: "float",
  [Prim.Cos]: "float",
  [Prim.Tan]: "float",
  [Prim.Asin]: "float",
  [Prim.Acos]: "float",
  [Prim.Atan]: "float",
  [Prim.Sinh]: "float",
  [Prim.Cosh]: "float",
  [Prim.Tanh]: "float",
  [Prim.Asinh]: "float",
  [Prim.Acosh]: "float",
  [Prim.Atanh]: "float",
  [Prim.Logistic]: "float",
  [Prim.Erf]: "float",
  [Prim.Erfc]: "float",
  [Prim.ErfInv]: "float",
  [Prim.Lgamma]: "float",
  [Prim.Digamma]: "float",
  [Prim.Square]: "numeric",
  [Prim.IsFinite]: "float",
  [Prim.Not]: "intOrBool",
};

const BINARY_CLASS: Record<(typeof BINARY_PRIMS)[number], DtypeClass> = {
  [Prim.Add]: "any",
  [Prim.Sub]: "numeric",
  [Prim.Mul]: "any",
  [Prim.Div]: "numeric",
  [Prim.Rem]: "numeric",
  [Prim.Pow]: "float",
  [Prim.Max]: "any",
  [Prim.Min]: "any",
  [Prim.Atan2]: "float",
  [Prim.Nextafter]: "float",
  [Prim.And]: "intOrBool",
  [Prim.Or]: "intOrBool",
  [Prim.Xor]: "intOrBool",
  [Prim.ShiftLeft]: "int",
  [Prim.ShiftRightLogical]: "int",
  [Prim.ShiftRightArithmetic]: "int",
};

function unaryRule(prim: (typeof UNARY_PRIMS)[number]): ShapeRule<Prim> {
  return (avals) => {
    arity(prim, avals, 1);
    const [x] = avals;
    checkClass(prim, UNARY_CLASS[prim], x);
    return [prim === Prim.IsFinite ? new ShapedArray(x.shape, "bool") : x];
  };
}

/**
 * Elementwise n-ary operands must share a dtype and a shape, except that rank-0 operands
 * broadcast (as in JAX, so `x * 2` stays one equation with a scalar literal). Returns the shape.
 */
function elementwiseShape(prim: Prim, avals: readonly ShapedArray[]): Shape {
  const full = avals.find((a) => a.ndim > 0) ?? avals[0];
  for (const y of avals) {
    if ((y.ndim !== 0 && !shapeEqual(full.shape, y.shape)) || y.dtype !== full.dtype) {
      throw new ShapeError(
        `${prim}: operands must have equal shapes (or be scalars) and equal dtypes, received ` +
          `${fmt(avals)}. Use the np functions, which broadcast and promote, or broadcast/convert first.`,
      );
    }
  }
  return full.shape;
}

function binaryRule(prim: (typeof BINARY_PRIMS)[number]): ShapeRule<Prim> {
  return (avals) => {
    arity(prim, avals, 2);
    const shape = elementwiseShape(prim, avals);
    checkClass(prim, BINARY_CLASS[prim], avals[0]);
    return [new ShapedArray(shape, avals[0].dtype, allWeak(avals))];
  };
}

const compareRule =
  (prim: Prim): ShapeRule<Prim> =>
  (avals) => {
    arity(prim, avals, 2);
    return [new ShapedArray(elementwiseShape(prim, avals), "bool")];
  };

const reduceRule =
  <P extends Prim>(prim: P, cls: DtypeClass): ShapeRule<P> =>
  ([x], params) => {
    const { axes } = params as PrimParams[Prim.ReduceSum];
    checkClass(prim, cls, x);
    checkAxes(prim, axes, x.ndim);
    return [x.withShape(x.shape.filter((_, i) => !axes.includes(i)))];
  };

function checkAxes(prim: Prim, axes: readonly number[], ndim: number): void {
  if (!axes.every((a) => Number.isInteger(a) && a >= 0 && a < ndim) || new Set(axes).size !== axes.length) {
    throw new ShapeError(
      `${prim}: axes ${JSON.stringify(axes)} are invalid for rank ${ndim}; expected distinct ` +
        `non-negative axes below ${ndim}.`,
    );
  }
}

const cumRule =
  <P extends Prim>(prim: P): ShapeRule<P> =>
  ([x], params) => {
    const { axis } = params as PrimParams[Prim.Cumsum];
    checkAxes(prim, [axis], x.ndim);
    checkClass(prim, prim === Prim.Cumlogsumexp ? "float" : "numeric", x);
    return [x];
  };

const argRule =
  <P extends Prim.Argmax | Prim.Argmin>(prim: P): ShapeRule<P> =>
  ([x], { axes, indexDtype }) => {
    checkAxes(prim, axes, x.ndim);
    if (x.shape[axes[0]] === 0) {
      throw new ShapeError(`${prim}: axis ${axes[0]} of ${x.str()} is empty; there is no extremum.`);
    }
    return [new ShapedArray(x.shape.filter((_, i) => i !== axes[0]), indexDtype)];
  };

function permutationCheck(prim: Prim, perm: readonly number[], ndim: number): void {
  const ok = perm.length === ndim && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!ok) {
    throw new ShapeError(
      `${prim}: ${JSON.stringify(perm)} is not a permutation of the ${ndim} axes of the operand.`,
    );
  }
}

function dotGeneralRule(
  [lhs, rhs]: readonly ShapedArray[],
  { dimensionNumbers: [[lc, rc], [lb, rb]], preferredElementType }: PrimParams[Prim.DotGeneral],
): ShapedArray[] {
  const bad = (why: string): never => {
    throw new ShapeError(`dot_general: ${why} (lhs ${lhs.str()}, rhs ${rhs.str()}).`);
  };
  if (lc.length !== rc.length) bad("contracting dimension lists differ in length");
  if (lb.length !== rb.length) bad("batch dimension lists differ in length");
  checkAxes(Prim.DotGeneral, [...lc, ...lb], lhs.ndim);
  checkAxes(Prim.DotGeneral, [...rc, ...rb], rhs.ndim);
  lc.forEach((d, i) => {
    if (lhs.shape[d] !== rhs.shape[rc[i]]) {
      bad(`contracting sizes differ: lhs axis ${d} is ${lhs.shape[d]}, rhs axis ${rc[i]} is ${rhs.shape[rc[i]]}`);
    }
  });
  lb.forEach((d, i) => {
    if (lhs.shape[d] !== rhs.shape[rb[i]]) bad(`batch sizes differ at lhs axis ${d} and rhs axis ${rb[i]}`);
  });
  if (lhs.dtype !== rhs.dtype) bad("operand dtypes differ; convert one first");
  const free = (s: Shape, c: readonly number[], b: readonly number[]) =>
    s.filter((_, i) => !c.includes(i) && !b.includes(i));
  const shape = [...lb.map((d) => lhs.shape[d]), ...free(lhs.shape, lc, lb), ...free(rhs.shape, rc, rb)];
  return [new ShapedArray(shape, preferredElementType ?? lhs.dtype, allWeak([lhs, rhs]))];
}

function sliceRule(
  [x]: readonly ShapedArray[],
  { startIndices, limitIndices, strides }: PrimParams[Prim.Slice],
): ShapedArray[] {
  if (startIndices.length !== x.ndim || limitIndices.length !== x.ndim || (strides && strides.length !== x.ndim)) {
    throw new ShapeError(`slice: start, limit and strides must each have ${x.ndim} entries for ${x.str()}.`);
  }
  const shape = x.shape.map((d, i) => {
    const s = startIndices[i];
    const l = limitIndices[i];
    const st = strides ? strides[i] : 1;
    if (!(0 <= s && s <= l && l <= d) || !(st >= 1)) {
      throw new ShapeError(
        `slice: axis ${i} of ${x.str()} cannot take [${s}:${l}:${st}]; ` +
          `expected 0 <= start <= limit <= ${d} and stride >= 1.`,
      );
    }
    return Math.ceil((l - s) / st);
  });
  return [x.withShape(shape)];
}

function padRule([x, v]: readonly ShapedArray[], { paddingConfig }: PrimParams[Prim.Pad]): ShapedArray[] {
  if (v.ndim !== 0 || v.dtype !== x.dtype) {
    throw new ShapeError(`pad: padding value must be a scalar of dtype ${x.dtype}, received ${v.str()}.`);
  }
  if (paddingConfig.length !== x.ndim) {
    throw new ShapeError(`pad: padding config has ${paddingConfig.length} entries for ${x.str()}.`);
  }
  const shape = x.shape.map((d, i) => {
    const [lo, hi, interior] = paddingConfig[i];
    if (interior < 0) throw new ShapeError(`pad: interior padding must be >= 0, got ${interior}.`);
    const n = lo + hi + d + Math.max(0, d - 1) * interior;
    if (n < 0) throw new ShapeError(`pad: axis ${i} of ${x.str()} would have negative size ${n}.`);
    return n;
  });
  return [x.withShape(shape)];
}

function concatenateRule(avals: readonly ShapedArray[], { dimension }: PrimParams[Prim.Concatenate]): ShapedArray[] {
  if (avals.length === 0) throw new ShapeError("concatenate: needs at least one operand.");
  const [x] = avals;
  checkAxes(Prim.Concatenate, [dimension], x.ndim);
  for (const y of avals) {
    const ok =
      y.dtype === x.dtype &&
      y.ndim === x.ndim &&
      y.shape.every((d, i) => i === dimension || d === x.shape[i]);
    if (!ok) {
      throw new ShapeError(
        `concatenate: operands must match in dtype and in every axis but ${dimension}; received ${fmt(avals)}.`,
      );
    }
  }
  const shape = x.shape.slice();
  shape[dimension] = avals.reduce((a, y) => a + y.shape[dimension], 0);
  return [new ShapedArray(shape, x.dtype, allWeak(avals))];
}

function broadcastInDimRule(
  [x]: readonly ShapedArray[],
  { shape, broadcastDimensions: bd }: PrimParams[Prim.BroadcastInDim],
): ShapedArray[] {
  const ok =
    bd.length === x.ndim &&
    bd.every((d, i) => d >= 0 && d < shape.length && (i === 0 || d > bd[i - 1])) &&
    x.shape.every((d, i) => d === 1 || d === shape[bd[i]]);
  if (!ok) {
    throw new ShapeError(
      `broadcast_in_dim: cannot broadcast ${x.str()} to ${shapeStr(shape)} with broadcast_dimensions ` +
        `${JSON.stringify(bd)}; each operand axis must map, in increasing order, to an output axis ` +
        `of equal size (or the operand axis must be 1).`,
    );
  }
  return [x.withShape(shape)];
}

function reshapeRule([x]: readonly ShapedArray[], { newSizes }: PrimParams[Prim.Reshape]): ShapedArray[] {
  const n = newSizes.reduce((a, b) => a * b, 1);
  if (n !== x.size || !newSizes.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(
      `reshape: cannot reshape ${x.str()} (${x.size} elements) into ${shapeStr(newSizes)} (${n} elements).`,
    );
  }
  return [x.withShape(newSizes)];
}

function selectNRule(avals: readonly ShapedArray[]): ShapedArray[] {
  const [which, ...cases] = avals;
  if (cases.length === 0) throw new ShapeError("select_n: needs at least one case.");
  const shape = elementwiseShape(Prim.SelectN, cases);
  const okWhich = (which.dtype === "bool" && cases.length <= 2) || which.dtype === "int32";
  // The selector is an elementwise operand too: scalar cases broadcast against a full selector.
  if (!okWhich || (which.ndim !== 0 && shape.length !== 0 && !shapeEqual(which.shape, shape))) {
    throw new ShapeError(
      `select_n: the selector must be bool (for at most 2 cases) or int32, scalar or of the cases' ` +
        `shape; received selector ${which.str()} and cases ${fmt(cases)}.`,
    );
  }
  const outShape = which.ndim > 0 ? which.shape : shape;
  return [new ShapedArray(outShape, cases[0].dtype, allWeak(cases))];
}

function clampRule(avals: readonly ShapedArray[]): ShapedArray[] {
  arity(Prim.Clamp, avals, 3);
  const shape = elementwiseShape(Prim.Clamp, avals);
  return [new ShapedArray(shape, avals[1].dtype, avals[1].weakType)];
}

function bitcastRule([x]: readonly ShapedArray[], { newDtype }: PrimParams[Prim.BitcastConvertType]): ShapedArray[] {
  if (itemSize(x.dtype) !== itemSize(newDtype)) {
    throw new DTypeError(
      `bitcast_convert_type: ${x.dtype} and ${newDtype} differ in width; Kiln bitcasts only between ` +
        `types of equal width.`,
    );
  }
  return [new ShapedArray(x.shape, newDtype)];
}

/** The abstract-evaluation table. */
export const shapeRules: { [P in Prim]: ShapeRule<P> } = {
  ...(Object.fromEntries(UNARY_PRIMS.map((p) => [p, unaryRule(p)])) as {
    [P in (typeof UNARY_PRIMS)[number]]: ShapeRule<P>;
  }),
  ...(Object.fromEntries(BINARY_PRIMS.map((p) => [p, binaryRule(p)])) as {
    [P in (typeof BINARY_PRIMS)[number]]: ShapeRule<P>;
  }),
  ...(Object.fromEntries(COMPARE_PRIMS.map((p) => [p, compareRule(p)])) as {
    [P in (typeof COMPARE_PRIMS)[number]]: ShapeRule<P>;
  }),
  [Prim.Round]: ([x]) => (checkClass(Prim.Round, "float", x), [x]),
  [Prim.IntegerPow]: ([x], { y }) => {
    checkClass(Prim.IntegerPow, "numeric", x);
    if (!Number.isInteger(y)) throw new TypeError(`integer_pow: exponent must be an integer, got ${y}.`);
    return [x];
  },
  [Prim.SelectN]: selectNRule,
  [Prim.Clamp]: clampRule,
  [Prim.ConvertElementType]: ([x], { newDtype, weakType }) => [new ShapedArray(x.shape, newDtype, weakType)],
  [Prim.BitcastConvertType]: bitcastRule,
  [Prim.BroadcastInDim]: broadcastInDimRule,
  [Prim.Reshape]: reshapeRule,
  [Prim.Transpose]: ([x], { permutation }) => {
    permutationCheck(Prim.Transpose, permutation, x.ndim);
    return [x.withShape(permutation.map((p) => x.shape[p]))];
  },
  [Prim.Squeeze]: ([x], { dimensions }) => {
    checkAxes(Prim.Squeeze, dimensions, x.ndim);
    for (const d of dimensions) {
      if (x.shape[d] !== 1) {
        throw new ShapeError(`squeeze: axis ${d} of ${x.str()} has size ${x.shape[d]}, not 1.`);
      }
    }
    return [x.withShape(x.shape.filter((_, i) => !dimensions.includes(i)))];
  },
  [Prim.ExpandDims]: ([x], { dimensions }) => {
    const rank = x.ndim + dimensions.length;
    checkAxes(Prim.ExpandDims, dimensions, rank);
    const shape: number[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) shape.push(dimensions.includes(i) ? 1 : x.shape[k++]);
    return [x.withShape(shape)];
  },
  [Prim.Rev]: ([x], { dimensions }) => (checkAxes(Prim.Rev, dimensions, x.ndim), [x]),
  [Prim.Pad]: padRule,
  [Prim.Concatenate]: concatenateRule,
  [Prim.Slice]: sliceRule,
  ...indexingShapeRules,
  [Prim.Iota]: (_, { dtype, shape, dimension }) => {
    checkAxes(Prim.Iota, [dimension], shape.length);
    return [new ShapedArray(shape, dtype)];
  },
  [Prim.Copy]: ([x]) => [x],
  [Prim.ReduceSum]: reduceRule(Prim.ReduceSum, "any"),
  [Prim.ReduceMax]: reduceRule(Prim.ReduceMax, "any"),
  [Prim.ReduceMin]: reduceRule(Prim.ReduceMin, "any"),
  [Prim.ReduceProd]: reduceRule(Prim.ReduceProd, "any"),
  [Prim.ReduceAnd]: reduceRule(Prim.ReduceAnd, "intOrBool"),
  [Prim.ReduceOr]: reduceRule(Prim.ReduceOr, "intOrBool"),
  [Prim.ReduceXor]: reduceRule(Prim.ReduceXor, "intOrBool"),
  [Prim.Argmax]: argRule(Prim.Argmax),
  [Prim.Argmin]: argRule(Prim.Argmin),
  [Prim.Cumsum]: cumRule(Prim.Cumsum),
  [Prim.Cumprod]: cumRule(Prim.Cumprod),
  [Prim.Cummax]: cumRule(Prim.Cummax),
  [Prim.Cummin]: cumRule(Prim.Cummin),
  [Prim.Cumlogsumexp]: cumRule(Prim.Cumlogsumexp),
  [Prim.Sort]: (avals, { dimension, numKeys }) => {
    if (avals.length === 0 || numKeys < 1 || numKeys > avals.length) {
      throw new ShapeError(`sort: need 1 <= numKeys <= ${avals.length} operands, got numKeys=${numKeys}.`);
    }
    for (const a of avals) {
      if (!shapeEqual(a.shape, avals[0].shape)) {
        throw new ShapeError(`sort: all operands must have one shape; received ${fmt(avals)}.`);
      }
    }
    checkAxes(Prim.Sort, [dimension], avals[0].ndim);
    return [...avals];
  },
  [Prim.TopK]: ([x], { k }) => {
    const n = x.shape[x.ndim - 1];
    if (x.ndim === 0 || !Number.isInteger(k) || k < 0 || k > n) {
      throw new ShapeError(`top_k: k must be an integer in [0, ${n ?? 0}] for ${x.str()}, got ${k}.`);
    }
    const shape = [...x.shape.slice(0, -1), k];
    return [x.withShape(shape), new ShapedArray(shape, "int32")];
  },
  [Prim.DotGeneral]: dotGeneralRule,
  ...convShapeRules,
  [Prim.Threefry2x32]: (avals) => {
    arity(Prim.Threefry2x32, avals, 4);
    if (!avals.every((a) => a.dtype === "uint32" && shapeEqual(a.shape, avals[0].shape))) {
      throw new DTypeError(`threefry2x32: expected four uint32 operands of one shape, received ${fmt(avals)}.`);
    }
    return [avals[0], avals[0]];
  },
  [Prim.StopGradient]: ([x]) => [x],
  ...controlShapeRules,
};

/** Runs the abstract-evaluation rule of `prim`. */
export const abstractEval = <P extends Prim>(
  prim: P,
  avals: readonly ShapedArray[],
  params: PrimParams[P],
): ShapedArray[] => (shapeRules[prim] as ShapeRule<P>)(avals, params);
