/**
 * @file Tracers, traces, the trace stack and `bind`: the one interception point of Kiln.
 *
 * Every operation is `bind(prim, args, params)`. `bind` finds the highest-level trace among its
 * arguments (or the dynamic trace, when a function is being staged out as a whole), raises every
 * argument into that trace, and lets the trace process the primitive. The base of the stack is the
 * eval trace, whose values are concrete Arrays. This is Autodidax's design (jax docs/autodidax.py,
 * parts 1 and 3).
 */
import { type DType, type Prim, type PrimParams, type ShapedArray, TracerError, type TypedArray } from "../ir/index.js";

/**
 * A JS number with the dtype it is meant to have. Kept as an exact double until a trace turns it
 * into a scalar of that dtype, so `x_f64.add(0.1)` uses 0.1 to full precision and a float32
 * context rounds it exactly once. Public functions never return it.
 */
export class TypedScalar {
  constructor(
    readonly value: number,
    readonly dtype: DType,
    readonly weak: boolean,
  ) {}
}

/** A JS number or boolean that Kiln turns into a weakly typed scalar. */
export type Scalar = number | boolean;

/** What a trace can wrap as a scalar: a JS scalar or an exact typed one. */
export type PureValue = Scalar | TypedScalar;

/** What public functions accept: arrays, tracers or JS scalars. */
export type ArrayLike = Tracer | Scalar;

/** What `bind` accepts: ArrayLike, plus exact typed scalars from the lax layer. */
export type BindArg = ArrayLike | TypedScalar;

/** One level of the interpreter stack. */
export interface MainTrace {
  readonly level: number;
  readonly traceType: new (main: MainTrace) => Trace;
  /** Per-transformation state (e.g. the IR builder). */
  readonly globalData: unknown;
  /** Set when the level is popped, so escaped tracers can be detected. */
  popped: boolean;
}

/** An interpreter: how a transformation handles primitives. */
export abstract class Trace {
  constructor(readonly main: MainTrace) {}
  /** Wraps a JS scalar as a tracer of this trace. */
  abstract pure(x: PureValue): Tracer;
  /** Wraps a tracer of a lower level as a tracer of this trace. */
  abstract lift(x: Tracer): Tracer;
  abstract processPrimitive<P extends Prim>(
    prim: P,
    tracers: readonly Tracer[],
    params: PrimParams[P],
  ): Tracer[];
}

/**
 * A value flowing through a trace. Concrete Arrays are the tracers of the base (eval) trace.
 * Array methods (`x.add(y)`, `x.sum()`) are installed on this class by the `np` layer.
 */
export abstract class Tracer {
  abstract readonly trace: Trace;
  abstract get aval(): ShapedArray;

  get shape(): readonly number[] {
    return this.aval.shape;
  }
  get dtype(): DType {
    return this.aval.dtype;
  }
  get ndim(): number {
    return this.aval.ndim;
  }
  get size(): number {
    return this.aval.size;
  }
  get weakType(): boolean {
    return this.aval.weakType;
  }

  /** Returns the lowest-level value equal to this one (identity for most tracers). */
  fullLower(): Tracer {
    return this;
  }

  /** Releases backend memory held by this value; a no-op for abstract tracers. */
  dispose(): void {}

  /** @internal A value sharing this one's data with its own reference (abstract tracers: itself). */
  retain(): Tracer {
    return this;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** True once `dispose()` ran on a concrete array; tracers are never disposed. */
  get isDisposed(): boolean {
    return false;
  }

  /** Raised when a traced (abstract) value is asked for its data. */
  protected concretizationError(what: string): TracerError {
    return new TracerError(
      `${what}: this array (${this.aval.str()}) is traced, so its values are not known yet: it is ` +
        `an abstract stand-in while a transformation (jit, grad, vmap, ...) records the function. ` +
        `Use array operations instead of reading values (np.where or lax.cond for data-dependent ` +
        `choices), or return the value from the function and read it outside.`,
    );
  }

  /** The data as a typed array (a copy). Concrete arrays on CPU backends only. */
  dataSync(): TypedArray {
    throw this.concretizationError("dataSync()");
  }

  /** The data as a typed array (a copy), on every backend. */
  data(): Promise<TypedArray> {
    return Promise.reject(this.concretizationError("data()"));
  }

  /** The data as nested JS arrays. */
  toArray(): unknown {
    throw this.concretizationError("toArray()");
  }

  /** The data as nested JS arrays, on every backend (GPU ones included). */
  array(): Promise<unknown> {
    return Promise.reject(this.concretizationError("array()"));
  }

  /** The single element of a size-1 array. */
  item(): number | boolean {
    throw this.concretizationError("item()");
  }

  /** JAX-style repr. */
  repr(): string {
    return `Traced<${this.aval.str()}>`;
  }

  toString(): string {
    return this.repr();
  }
}

const traceStack: MainTrace[] = [];
let dynamicTrace: MainTrace | null = null;

/** Installs the base (eval) trace; called once by the eval-trace module. */
export function installBaseTrace(traceType: new (main: MainTrace) => Trace): void {
  if (traceStack.length === 0) {
    traceStack.push({ level: 0, traceType, globalData: null, popped: false });
    dynamicTrace = traceStack[0];
  }
}

/** The level-0 (eval) interpreter. */
export const baseMain = (): MainTrace => traceStack[0];

/**
 * True when no transformation is active, so values computed now are seen by nobody but the
 * caller (interpreters may then free intermediates early).
 */
export const isEagerContext = (): boolean => traceStack.length === 1 && dynamicTrace === traceStack[0];

/** The current stack depth, for transformations that need a fresh level. */
export const currentLevel = (): number => traceStack.length - 1;

/**
 * Pushes a new interpreter level; dispose the result (`using`) to pop it.
 *
 * @example
 *   using main = newMain(JVPTrace, null);
 *   const trace = new JVPTrace(main);
 */
export function newMain(traceType: new (main: MainTrace) => Trace, globalData: unknown): MainTrace & Disposable {
  const main: MainTrace & Disposable = {
    level: traceStack.length,
    traceType,
    globalData,
    popped: false,
    [Symbol.dispose]() {
      const top = traceStack.pop();
      if (top !== main) throw new Error("internal: trace stack popped out of order");
      main.popped = true;
    },
  };
  traceStack.push(main);
  return main;
}

/** Makes `main` the dynamic trace (everything is staged into it) until disposed. */
export function newDynamic(main: MainTrace): Disposable {
  const prev = dynamicTrace;
  dynamicTrace = main;
  return {
    [Symbol.dispose]() {
      dynamicTrace = prev;
    },
  };
}

/**
 * Runs `fn` eagerly even inside a transformation: operations whose inputs are all concrete are
 * computed now instead of being staged (JAX's `ensure_compile_time_eval`). Keras layers use it
 * to create their weights when they are first built inside a trace.
 *
 * @example const w = ensureCompileTimeEval(() => random.normal(random.key(0), [3]));
 */
export function ensureCompileTimeEval<T>(fn: () => T): T {
  const prev = dynamicTrace;
  dynamicTrace = traceStack[0];
  try {
    return fn();
  } finally {
    dynamicTrace = prev;
  }
}

function findTopTrace(args: readonly BindArg[]): Trace {
  let top = traceStack[0];
  for (const a of args) {
    if (a instanceof Tracer && a.trace.main.level > top.level) top = a.trace.main;
  }
  if (dynamicTrace && dynamicTrace.level > top.level) top = dynamicTrace;
  return new top.traceType(top);
}

function escaped(x: Tracer): TracerError {
  return new TracerError(
    `Encountered a tracer (${x.aval.str()}) from a transformation that has already finished. ` +
      `This happens when a value computed inside a transformed function (grad, vmap, jit, ...) ` +
      `is stored outside it, for example in a global variable or a closure, and used later. ` +
      `Return the value from the function instead, or compute it outside the transformation.`,
  );
}

/** Raises `x` into `trace`, lifting tracers of lower levels and wrapping scalars. */
export function fullRaise(trace: Trace, x: BindArg): Tracer {
  if (!(x instanceof Tracer)) {
    if (typeof x !== "number" && typeof x !== "boolean" && !(x instanceof TypedScalar)) {
      throw new TypeError(
        `Expected an Array, a tracer or a JS number/boolean, received ${describe(x)}. ` +
          `Wrap nested JS arrays with np.array(...) first.`,
      );
    }
    return trace.pure(x);
  }
  const level = trace.main.level;
  if (x.trace.main.popped) throw escaped(x);
  if (x.trace.main === trace.main) return x;
  if (x.trace.main.level < level) return trace.lift(x);
  throw new TracerError(
    `internal: tracer of level ${x.trace.main.level} met trace of level ${level} (mixed transformations)`,
  );
}

/** Describes an unexpected value for an error message. */
export function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `a JS array of length ${x.length}`;
  if (typeof x === "object") return `an object of class ${x.constructor?.name ?? "Object"}`;
  return `${typeof x} ${String(x)}`;
}

/**
 * Applies primitive `prim` to `args` in the current transformation context.
 *
 * @example const [y] = bind(Prim.Sin, [x], {});
 */
export function bind<P extends Prim>(prim: P, args: readonly BindArg[], params: PrimParams[P]): Tracer[] {
  const trace = findTopTrace(args);
  const tracers = args.map((a) => fullRaise(trace, a));
  const outs = trace.processPrimitive(prim, tracers, params);
  // Scalars wrapped by `pure` belong to this call alone: free them now rather than at GC.
  args.forEach((a, i) => {
    if (!(a instanceof Tracer) && !outs.includes(tracers[i])) tracers[i].dispose();
  });
  return outs.map((o) => o.fullLower());
}

/** `bind` for single-output primitives. */
export const bind1 = <P extends Prim>(prim: P, args: readonly BindArg[], params: PrimParams[P]): Tracer =>
  bind(prim, args, params)[0];
