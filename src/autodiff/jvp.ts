/**
 * @file Forward-mode autodiff: the JVP trace (Autodidax part 2). Each value carries its primal
 * and its tangent; primitives apply their rule from `jvpRules`.
 */
import { Prim, type PrimParams, ShapedArray, isFloat } from "../ir/index.js";
import { type PureValue, type Scalar, Trace, Tracer, bind, fullRaise, newMain } from "../trace/core.js";
import { scalarType } from "../trace/array.js";
import { toArray } from "../numpy/util.js";
import { type PyTree, treeFlatten, treeUnflatten, assertSameStructure } from "../trace/pytree.js";
import { type Tangent, Zero, instantiate, isZero, tangentAval } from "./zero.js";
import { jvpRules } from "./jvp-rules.js";

export class JVPTracer extends Tracer {
  constructor(
    readonly trace: JVPTrace,
    readonly primal: Tracer | PureValue,
    readonly tangent: Tangent,
  ) {
    super();
  }

  get aval(): ShapedArray {
    return avalOf(this.primal);
  }
}

function avalOf(x: Tracer | PureValue): ShapedArray {
  if (x instanceof Tracer) return x.aval;
  const { dtype, weak } = scalarType(x);
  return new ShapedArray([], dtype, weak);
}

export class JVPTrace extends Trace {
  pure(x: PureValue): Tracer {
    return new JVPTracer(this, x, Zero.like(avalOf(x)));
  }

  lift(x: Tracer): Tracer {
    return new JVPTracer(this, x, Zero.like(x.aval));
  }

  processPrimitive<P extends Prim>(prim: P, tracers: readonly Tracer[], params: PrimParams[P]): Tracer[] {
    const ts = tracers as readonly JVPTracer[];
    const primals = ts.map((t) => t.primal);
    const tangents = ts.map((t) => t.tangent);
    // A primitive none of whose inputs carry a tangent has a zero derivative: skip the rule.
    if (tangents.every(isZero)) {
      const outs = bindLower(prim, primals, params);
      return outs.map((o) => new JVPTracer(this, o, Zero.like(o.aval)));
    }
    const rule = jvpRules[prim] as unknown as JvpRuleAny;
    // Rules compute with primals as arrays: raw scalars become scalars of the level below.
    const arrays = primals.map((p) => (p instanceof Tracer ? p : toLowerScalar(p)));
    const [primalsOut, tangentsOut] = rule(arrays, tangents, params);
    return primalsOut.map((p, i) => {
      const t = tangentsOut[i];
      // Non-float outputs have no tangent (JAX's float0).
      return new JVPTracer(this, p, isFloat(p.dtype) ? t : Zero.like(p.aval));
    });
  }
}

type JvpRuleAny = (primals: readonly Tracer[], tangents: readonly Tangent[], params: unknown) => [Tracer[], Tangent[]];

function toLowerScalar(x: PureValue): Tracer {
  const { dtype, weak } = scalarType(x);
  return bind(Prim.ConvertElementType, [x], { newDtype: dtype, weakType: weak })[0];
}

const bindLower = <P extends Prim>(prim: P, xs: readonly (Tracer | PureValue)[], params: PrimParams[P]) =>
  bind(prim, xs, params);

/** Runs `f` on JVP tracers at a fresh level: flat inputs and outputs. */
export function jvpFlat(
  f: (...xs: Tracer[]) => readonly unknown[],
  primals: readonly Tracer[],
  tangents: readonly Tangent[],
): [Tracer[], Tangent[]] {
  using main = newMain(JVPTrace, null);
  const trace = new JVPTrace(main);
  const ins = primals.map((p, i) => new JVPTracer(trace, p, tangents[i]));
  const outs = f(...ins).map((o) => fullRaise(trace, o as Tracer | Scalar) as JVPTracer);
  return [outs.map((o) => o.primal as Tracer), outs.map((o) => o.tangent)];
}


/**
 * Forward-mode derivative: evaluates `f` at `primals` and its directional derivative along
 * `tangents` (pytrees of the same structure).
 *
 * @example const [y, dy] = jvp((x) => np.sin(x), [x], [np.onesLike(x)]); // dy = cos(x)
 */
export function jvp(f: (...args: any[]) => unknown, primals: readonly unknown[], tangents: readonly unknown[]): [any, any] {
  const [pLeaves, pTree] = treeFlatten(primals as PyTree);
  const [tLeaves, tTree] = treeFlatten(tangents as PyTree);
  assertSameStructure("jvp: primals and tangents", pTree, tTree);
  const primalTracers = pLeaves.map((x) => asTracerInput("jvp", x));
  const tangentVals = tLeaves.map((t, i) => {
    const tr = asTracerInput("jvp", t);
    const want = tangentAval(primalTracers[i].aval);
    if (!tr.aval.equals(want) && !(tr.aval.shape.join() === want.shape.join() && !isFloat(primalTracers[i].dtype))) {
      throw new TypeError(
        `jvp: tangent ${i} has ${tr.aval.str()} but its primal is ${primalTracers[i].aval.str()}; ` +
          `a tangent must have the primal's shape and float dtype (${want.str()}).`,
      );
    }
    return isFloat(primalTracers[i].dtype) ? tr : Zero.like(primalTracers[i].aval);
  });
  let outTree: ReturnType<typeof treeFlatten>[1] | null = null;
  const flatF = (...xs: Tracer[]) => {
    const out = f(...(treeUnflatten(pTree, xs) as unknown[]));
    const [leaves, tree] = treeFlatten(out);
    outTree = tree;
    return leaves;
  };
  const [po, to] = jvpFlat(flatF, primalTracers, tangentVals);
  const toReal = to.map((t, i) => (isZero(t) ? zerosFor(po[i]) : t));
  return [treeUnflatten(outTree!, po), treeUnflatten(outTree!, toReal)];
}

const zerosFor = (p: Tracer) => instantiate(Zero.like(p.aval));

/** Accepts Arrays, tracers and JS numbers (as float32 scalars) as transformation inputs. */
export function asTracerInput(op: string, x: unknown): Tracer {
  if (x instanceof Tracer) return x;
  if (typeof x === "number" || typeof x === "boolean") return toArray(op, x);
  if (Array.isArray(x) || ArrayBuffer.isView(x)) return toArray(op, x as never);
  throw new TypeError(`${op}: inputs must be Arrays, JS numbers or pytrees of them; received ${typeof x}.`);
}
