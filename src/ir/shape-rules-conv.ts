/**
 * @file Abstract evaluation of convolution and windowed reductions (XLA semantics).
 *
 * Every spatial (or windowed) axis follows one formula, shared with the lax wrappers:
 *   dilated input  = (n - 1) * baseDilation + 1          (0 when n = 0)
 *   padded input   = dilated + lo + hi                   (lo, hi may be negative)
 *   dilated window = (k - 1) * windowDilation + 1        (0 when k = 0)
 *   output         = floor((padded - dilatedWindow) / stride) + 1, or 0 when the window does not fit.
 * See https://openxla.org/xla/operation_semantics#convwithgeneralpadding_convolution and
 * #reducewindow.
 */
import { ShapedArray } from "./aval.js";
import { isFloat, isInt } from "./dtype.js";
import { DTypeError, ShapeError } from "./errors.js";
import { Prim, type PrimParams, type WindowParams } from "./primitives.js";
import type { ShapeRule } from "./shape-rules.js";

type ConvPrim =
  | Prim.ConvGeneralDilated | Prim.ReduceWindowSum | Prim.ReduceWindowMax | Prim.ReduceWindowMin
  | Prim.SelectAndScatterAdd;

/** `(n - 1) * d + 1`, the extent of `n` points spaced `d` apart (0 for no points). */
export const dilateDim = (n: number, d: number): number => (n === 0 ? 0 : (n - 1) * d + 1);

/** Output length of one windowed axis; see the file header for the formula. */
export function windowedDim(
  size: number, window: number, stride: number, pad: readonly [number, number], baseDilation = 1,
  windowDilation = 1,
): number {
  const padded = dilateDim(size, baseDilation) + pad[0] + pad[1];
  const w = dilateDim(window, windowDilation);
  return padded < w || padded <= 0 ? 0 : Math.floor((padded - w) / stride) + 1;
}

const isPosInt = (x: number): boolean => Number.isSafeInteger(x) && x >= 1;
const isPerm = (spec: readonly number[], n: number): boolean =>
  spec.length === n && new Set(spec).size === n && spec.every((a) => Number.isInteger(a) && a >= 0 && a < n);
const list = (xs: readonly unknown[]): string => JSON.stringify(xs);

/** Checks lengths and ranges of per-axis window configuration lists. */
function checkLists(
  bad: (why: string) => never, n: number, what: string, lists: Record<string, readonly number[]>,
  pads: readonly (readonly [number, number])[],
): void {
  for (const [name, xs] of Object.entries(lists)) {
    if (xs.length !== n) bad(`${name} has ${xs.length} entries, expected ${n} (one per ${what})`);
    if (!xs.every(isPosInt)) bad(`${name} must hold integers >= 1, received ${list(xs)}`);
  }
  if (pads.length !== n) bad(`padding has ${pads.length} (lo, hi) pairs, expected ${n} (one per ${what})`);
  if (!pads.every((p) => p.length === 2 && Number.isSafeInteger(p[0]) && Number.isSafeInteger(p[1]))) {
    bad(`padding must be (lo, hi) integer pairs, received ${list(pads)}`);
  }
}

function convRule(
  avals: readonly ShapedArray[],
  p: PrimParams[Prim.ConvGeneralDilated],
): ShapedArray[] {
  if (avals.length !== 2) throw new TypeError(`conv_general_dilated: expected 2 operands, received ${avals.length}.`);
  const [lhs, rhs] = avals;
  const bad = (why: string): never => {
    throw new ShapeError(`conv_general_dilated: ${why} (lhs ${lhs.str()}, rhs ${rhs.str()}).`);
  };
  const { lhsSpec, rhsSpec, outSpec } = p.dimensionNumbers;
  const n = lhs.ndim;
  if (n < 2 || rhs.ndim !== n) bad("lhs and rhs must have the same rank, at least 2 (batch and feature axes)");
  for (const [name, spec] of [["lhsSpec", lhsSpec], ["rhsSpec", rhsSpec], ["outSpec", outSpec]] as const) {
    if (!isPerm(spec, n)) bad(`dimension numbers ${name} ${list(spec)} must be a permutation of 0..${n - 1}`);
  }
  const ns = n - 2;
  checkLists(bad, ns, "spatial axis", {
    windowStrides: p.windowStrides, lhsDilation: p.lhsDilation, rhsDilation: p.rhsDilation,
  }, p.padding);
  const G = p.featureGroupCount;
  const B = p.batchGroupCount;
  if (!isPosInt(G) || !isPosInt(B)) bad(`featureGroupCount ${G} and batchGroupCount ${B} must be integers >= 1`);
  if (G > 1 && B > 1) bad(`featureGroupCount ${G} and batchGroupCount ${B} cannot both exceed 1`);
  const batch = lhs.shape[lhsSpec[0]];
  const inFeat = lhs.shape[lhsSpec[1]];
  const outFeat = rhs.shape[rhsSpec[0]];
  const kIn = rhs.shape[rhsSpec[1]];
  if (inFeat % G !== 0) bad(`lhs feature size ${inFeat} is not divisible by featureGroupCount ${G}`);
  if (inFeat / G !== kIn) {
    bad(
      `lhs feature size ${inFeat} / featureGroupCount ${G} = ${inFeat / G} must equal the rhs input feature ` +
        `size ${kIn}` + (G === 1 && kIn > 0 && inFeat % kIn === 0 ? `; set featureGroupCount ${inFeat / kIn}` : ""),
    );
  }
  if (outFeat % G !== 0) bad(`rhs output feature size ${outFeat} is not divisible by featureGroupCount ${G}`);
  if (batch % B !== 0) bad(`lhs batch size ${batch} is not divisible by batchGroupCount ${B}`);
  if (outFeat % B !== 0) bad(`rhs output feature size ${outFeat} is not divisible by batchGroupCount ${B}`);
  if (lhs.dtype !== rhs.dtype) {
    throw new DTypeError(
      `conv_general_dilated: lhs and rhs dtypes differ (${lhs.str()}, ${rhs.str()}); convert one first.`,
    );
  }
  const pref = p.preferredElementType;
  if (pref !== null && (isFloat(pref) !== isFloat(lhs.dtype) || isInt(pref) !== isInt(lhs.dtype))) {
    throw new DTypeError(
      `conv_general_dilated: preferredElementType ${pref} must be of the same kind (float, int, bool) as ` +
        `the operands' ${lhs.dtype}.`,
    );
  }
  const shape = new Array<number>(n);
  shape[outSpec[0]] = batch / B;
  shape[outSpec[1]] = outFeat;
  for (let i = 0; i < ns; i++) {
    shape[outSpec[2 + i]] = windowedDim(
      lhs.shape[lhsSpec[2 + i]], rhs.shape[rhsSpec[2 + i]], p.windowStrides[i], p.padding[i],
      p.lhsDilation[i], p.rhsDilation[i],
    );
  }
  return [new ShapedArray(shape, pref ?? lhs.dtype, lhs.weakType && rhs.weakType)];
}

/** Output shape of a window configuration over `x`, with errors naming `prim`. */
export function windowOutputShape(prim: string, x: ShapedArray, w: WindowParams): number[] {
  const bad = (why: string): never => {
    throw new ShapeError(`${prim}: ${why} (operand ${x.str()}).`);
  };
  checkLists(bad, x.ndim, "operand axis", {
    windowDimensions: w.windowDimensions, windowStrides: w.windowStrides, baseDilation: w.baseDilation,
    windowDilation: w.windowDilation,
  }, w.padding);
  return x.shape.map((d, i) =>
    windowedDim(d, w.windowDimensions[i], w.windowStrides[i], w.padding[i], w.baseDilation[i], w.windowDilation[i]),
  );
}

const reduceWindowRule =
  <P extends Prim.ReduceWindowSum | Prim.ReduceWindowMax | Prim.ReduceWindowMin>(prim: P): ShapeRule<P> =>
  (avals, params) => {
    if (avals.length !== 1) throw new TypeError(`${prim}: expected 1 operand, received ${avals.length}.`);
    const [x] = avals;
    if (prim === Prim.ReduceWindowSum && x.dtype === "bool") {
      throw new DTypeError(`${prim}: expected a numeric operand, received ${x.str()}; convert it with astype() first.`);
    }
    return [x.withShape(windowOutputShape(prim, x, params))];
  };

function selectAndScatterAddRule(
  avals: readonly ShapedArray[],
  params: WindowParams,
): ShapedArray[] {
  const prim = Prim.SelectAndScatterAdd;
  if (avals.length !== 2) throw new TypeError(`${prim}: expected 2 operands (source, operand), received ${avals.length}.`);
  const [source, operand] = avals;
  const want = windowOutputShape(prim, operand, params);
  if (source.ndim !== want.length || !source.shape.every((d, i) => d === want[i])) {
    throw new ShapeError(
      `${prim}: source ${source.str()} must have the windowed output shape [${want.join(",")}] of operand ` +
        `${operand.str()}; it holds one value per window.`,
    );
  }
  if (source.dtype === "bool") {
    throw new DTypeError(`${prim}: expected a numeric source, received ${source.str()}.`);
  }
  return [new ShapedArray(operand.shape, source.dtype, source.weakType)];
}

export const convShapeRules: { [P in ConvPrim]: ShapeRule<P> } = {
  [Prim.ConvGeneralDilated]: convRule,
  [Prim.ReduceWindowSum]: reduceWindowRule(Prim.ReduceWindowSum),
  [Prim.ReduceWindowMax]: reduceWindowRule(Prim.ReduceWindowMax),
  [Prim.ReduceWindowMin]: reduceWindowRule(Prim.ReduceWindowMin),
  [Prim.SelectAndScatterAdd]: selectAndScatterAddRule,
};
