/**
 * @file The concrete, immutable Array and the eval trace that computes with it.
 *
 * An Array owns one reference to a backend buffer. It is released by `dispose()`, by `using`
 * (`Symbol.dispose`), by `tidy`, and, as a backstop, by a FinalizationRegistry when the Array is
 * garbage collected. Arrays are the tracers of the base trace: `bind` on Arrays runs the primitive
 * on the backend right away (eager mode).
 */
import {
  type DType, DisposedError, type Prim, type PrimParams, ShapedArray, type TypedArray, abstractEval,
  allocTyped, type FirstOrderPrim, isHigherOrder,
} from "../ir/index.js";
import { controlEvaluators } from "./eval-control.js";
import type { Backend, BufferId, Operand } from "../backend/backend.js";
import { getBackend } from "../backend/registry.js";
import { type PureValue, Trace, Tracer, TypedScalar, baseMain, installBaseTrace } from "./core.js";
import { formatArray, reprArray } from "./format.js";

interface Held {
  readonly backend: Backend;
  readonly buffer: BufferId;
}

const finalizer = new FinalizationRegistry<Held>(({ backend, buffer }) => backend.release(buffer));

/** Open `tidy` scopes, innermost last; each collects the Arrays created inside it. */
const scopes: Set<ConcreteArray>[] = [];

/** An immutable n-dimensional array on a backend. */
export class ConcreteArray extends Tracer {
  readonly #aval: ShapedArray;
  readonly #backend: Backend;
  readonly #buffer: BufferId;
  #disposed = false;

  /** @internal Use `np.array` and friends; this adopts one reference to `buffer`. */
  constructor(aval: ShapedArray, backend: Backend, buffer: BufferId) {
    super();
    this.#aval = aval;
    this.#backend = backend;
    this.#buffer = buffer;
    finalizer.register(this, { backend, buffer }, this);
    scopes.at(-1)?.add(this);
  }

  /**
   * Makes an Array from host data (copied).
   *
   * @example ConcreteArray.fromData(new Float32Array([1, 2]), [2], "float32")
   */
  static fromData(
    data: TypedArray | ArrayLike<number>, shape: readonly number[], dtype: DType, weakType = false, backend: Backend = getBackend(),
  ): ConcreteArray {
    const aval = new ShapedArray([...shape], dtype, weakType);
    const host = allocTyped(dtype, aval.size);
    if (data.length !== aval.size) {
      throw new RangeError(`ConcreteArray.fromData: ${data.length} values do not fill shape [${shape.join(", ")}] (${aval.size}).`);
    }
    host.set(data as ArrayLike<number>);
    return new ConcreteArray(aval, backend, backend.alloc(dtype, aval.size, host));
  }

  get trace(): Trace {
    return evalTrace();
  }

  get aval(): ShapedArray {
    return this.#aval;
  }

  /** The backend holding this array's data. */
  get backend(): Backend {
    return this.#backend;
  }

  /** @internal The buffer handle; throws if the array was disposed. */
  get buffer(): BufferId {
    this.#check();
    return this.#buffer;
  }

  override get isDisposed(): boolean {
    return this.#disposed;
  }

  #check(): void {
    if (this.#disposed) {
      throw new DisposedError(
        `This Array (${this.#aval.str()}) was disposed and cannot be used. Keep a reference ` +
          `alive by not disposing it, or return it from tidy() so that it is kept.`,
      );
    }
  }

  /** Releases the data now. Idempotent; later use throws a DisposedError. */
  override dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    finalizer.unregister(this);
    this.#backend.release(this.#buffer);
  }

  /** @internal A second Array sharing this one's buffer (one more reference). */
  override retain(): ConcreteArray {
    this.#check();
    this.#backend.retain(this.#buffer);
    return new ConcreteArray(this.#aval, this.#backend, this.#buffer);
  }

  /**
   * The data as a typed array (a copy), synchronously. Works on CPU backends; GPU backends
   * throw and ask for `await a.data()`.
   *
   * @example np.array([1, 2]).dataSync() // Float32Array [1, 2]
   */
  override dataSync(): TypedArray {
    this.#check();
    return this.#backend.readSync(this.#buffer);
  }

  /** The data as a typed array (a copy), on every backend. */
  override async data(): Promise<TypedArray> {
    this.#check();
    return this.#backend.read(this.#buffer);
  }

  /**
   * The data as nested JS arrays (booleans for bool arrays).
   *
   * @example np.eye(2).toArray() // [[1, 0], [0, 1]]
   */
  override toArray(): unknown {
    return nest(this.dataSync(), this.shape, this.dtype);
  }

  /**
   * The data as nested JS arrays, read asynchronously: works on every backend (on webgpu,
   * where `toArray()` cannot).
   *
   * @example await np.eye(2).array() // [[1, 0], [0, 1]]
   */
  override async array(): Promise<unknown> {
    this.#check();
    return nest(await this.#backend.read(this.#buffer), this.shape, this.dtype);
  }

  /**
   * The single element of a size-1 array as a JS number (or boolean).
   *
   * @example np.sum(np.ones([3])).item() // 3
   */
  override item(): number | boolean {
    if (this.size !== 1) {
      throw new TypeError(`item(): the array has ${this.size} elements (shape [${this.shape.join(", ")}]); only size-1 arrays can be converted to a scalar.`);
    }
    const v = this.dataSync()[0];
    return this.dtype === "bool" ? v !== 0 : v;
  }

  /** NumPy-style `str()`: `[[1. 2.]\n [3. 4.]]`. */
  override toString(): string {
    return formatArray(this.dataSync(), this.shape, this.dtype);
  }

  /** JAX-style repr: `Array([1., 2.], dtype=float32)`. */
  override repr(): string {
    return reprArray(this.dataSync(), this.shape, this.dtype, this.weakType);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.#disposed ? `Array(<disposed> ${this.#aval.str()})` : this.repr();
  }

  /** Arrays are not JSON; this makes `JSON.stringify` give the nested values. */
  toJSON(): unknown {
    return this.toArray();
  }
}

/** Arrays up to this many elements on a CPU backend are copied to their fellow operands' backend. */
const IMPLICIT_COPY_MAX = 64;

/** Flat data as nested JS arrays of `shape` (booleans for bool). */
function nest(data: TypedArray, shape: readonly number[], dtype: DType): unknown {
  const conv = dtype === "bool" ? (v: number) => v !== 0 : (v: number) => v;
  const build = (dim: number, offset: number): unknown => {
    if (dim === shape.length) return conv(data[offset]);
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return globalThis.Array.from({ length: shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
  };
  return build(0, 0);
}

/** The eval trace: runs each primitive on the backend immediately. */
export class EvalTrace extends Trace {
  pure(x: PureValue): Tracer {
    return scalarArray(x);
  }

  lift(x: Tracer): Tracer {
    return x;
  }

  processPrimitive<P extends Prim>(prim: P, tracers: readonly Tracer[], params: PrimParams[P]): Tracer[] {
    if (isHigherOrder(prim)) {
      abstractEval(prim, tracers.map((t) => t.aval), params); // validates operands against the programs
      return (controlEvaluators[prim] as (a: readonly Tracer[], p: unknown) => Tracer[])(tracers, params);
    }
    const arrays = tracers as readonly ConcreteArray[];
    const outAvals = abstractEval(prim, arrays.map((a) => a.aval), params);
    // Small arrays on a CPU backend (a JS number promoted to an Array, a PRNG key, a loss weight)
    // follow the other operands, or the default backend when all are small, as JAX's
    // uncommitted arrays do; anything larger must be moved explicitly, so no big copy happens
    // by surprise.
    const first = arrays[0]?.backend ?? getBackend();
    const backend = arrays.every((a) => a.backend === first)
      ? first
      : (arrays.find((a) => a.size > IMPLICIT_COPY_MAX || !a.backend.canReadSync)?.backend ?? getBackend());
    const moved: ConcreteArray[] = [];
    const operands: Operand[] = arrays.map((a) => {
      if (a.backend !== backend) {
        if (a.size <= IMPLICIT_COPY_MAX && a.backend.canReadSync) {
          const m = new ConcreteArray(a.aval, backend, backend.alloc(a.dtype, a.size, a.dataSync()));
          moved.push(m);
          return { buffer: m.buffer, aval: a.aval };
        }
        throw new Error(
          `${prim}: operands live on different backends ('${a.backend.name}' and '${backend.name}'). ` +
            "Move one with 'await devicePut(x, name)', or create both after setBackend().",
        );
      }
      return { buffer: a.buffer, aval: a.aval };
    });
    try {
      const buffers = backend.execute(prim as FirstOrderPrim, operands, params as PrimParams[FirstOrderPrim], outAvals);
      return buffers.map((b, i) => new ConcreteArray(outAvals[i], backend, b));
    } finally {
      moved.forEach((m) => m.dispose());
    }
  }
}

installBaseTrace(EvalTrace);
const theEvalTrace = new EvalTrace(baseMain());

/** The singleton eval trace at level 0. */
const evalTrace = (): EvalTrace => theEvalTrace;

/**
 * The dtype a JS scalar gets: booleans are `bool`, integers weak `int32`, other numbers weak
 * `float32` (JAX's weak types: `x.add(1)` keeps `x`'s dtype).
 */
export function scalarType(x: PureValue): { dtype: DType; weak: boolean } {
  if (x instanceof TypedScalar) return { dtype: x.dtype, weak: x.weak };
  if (typeof x === "boolean") return { dtype: "bool", weak: false };
  return Number.isInteger(x) && Math.abs(x) <= 2147483647
    ? { dtype: "int32", weak: true }
    : { dtype: "float32", weak: true };
}

/** A concrete scalar Array for a JS scalar (weakly typed, see scalarType). */
export function scalarArray(x: PureValue, dtype?: DType, weak?: boolean): ConcreteArray {
  const t = scalarType(x);
  const value = x instanceof TypedScalar ? x.value : Number(x);
  return ConcreteArray.fromData([value], [], dtype ?? t.dtype, weak ?? (dtype ? false : t.weak));
}

/**
 * Runs `fn` and disposes every Array created inside it, except those in its result.
 *
 * @example
 *   const y = tidy(() => np.sum(np.square(x))); // the square is freed, y is kept
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<ConcreteArray>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const keep = new Set<ConcreteArray>();
  collectArrays(result, keep);
  for (const a of scope) if (!keep.has(a)) a.dispose();
  const parent = scopes.at(-1);
  if (parent) for (const a of keep) if (scope.has(a)) parent.add(a);
  return result;
}

/** Keeps `x` alive past the enclosing `tidy` scopes. */
export function keep<T extends ConcreteArray>(x: T): T {
  for (const s of scopes) s.delete(x);
  return x;
}

function collectArrays(x: unknown, out: Set<ConcreteArray>, seen = new Set<unknown>()): void {
  if (x instanceof ConcreteArray) {
    out.add(x);
    return;
  }
  // Typed arrays hold numbers, never Arrays: walking their elements would cost O(length).
  if (x === null || typeof x !== "object" || ArrayBuffer.isView(x) || seen.has(x)) return;
  seen.add(x);
  for (const v of Object.values(x as object)) collectArrays(v, out, seen);
}

/**
 * Live buffers and bytes on the current backend.
 *
 * @example kiln.memory() // { buffers: 3, bytes: 48 }
 */
export const memory = () => getBackend().memory();
