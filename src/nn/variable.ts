/**
 * @file Variables: the mutable holders of a layer's weights, and the stateless scope that swaps
 * their values for traced ones. A Keras layer reads `this.kernel.value`; under
 * `statelessCall` that read returns the value passed in (a tracer inside `jit`/`grad`), and
 * `assign` (BatchNormalization's moving statistics) is recorded instead of applied, so the
 * layer's state never leaks into a trace.
 */
import { np, keep, type Tracer, type DType, type ArrayLike, ConcreteArray } from "../index.js";

/** Options of `Layer.addWeight` that travel with the variable. */
export interface VariableOptions {
  readonly trainable?: boolean;
  readonly dtype?: DType;
  /** Scalar penalty added to the loss (e.g. `new regularizers.L2(1e-4)`). */
  readonly regularizer?: { call(w: Tracer): Tracer } | null;
  /** Projection applied after each optimizer update (e.g. `new constraints.MaxNorm(2)`). */
  readonly constraint?: { call(w: Tracer): Tracer } | null;
}

/** Values standing in for variables while a stateless call runs, and the assignments it made. */
interface Scope {
  readonly values: Map<Variable, Tracer>;
  readonly updates: Map<Variable, Tracer>;
}
const scopes: Scope[] = [];

/**
 * A named, mutable reference to an Array: one weight of a layer.
 *
 * @example
 *   const v = new Variable("kernel", np.zeros([2, 3]));
 *   v.assign(np.ones([2, 3]));
 */
export class Variable {
  #value: ConcreteArray;
  readonly trainable: boolean;
  readonly regularizer: VariableOptions["regularizer"];
  readonly constraint: VariableOptions["constraint"];

  constructor(
    readonly name: string,
    initial: Tracer,
    opts: VariableOptions = {},
  ) {
    this.#value = Variable.#own(name, initial);
    this.trainable = opts.trainable ?? true;
    this.regularizer = opts.regularizer ?? null;
    this.constraint = opts.constraint ?? null;
  }

  /** Takes a reference of its own to a concrete value, outside any `tidy` scope. */
  static #own(name: string, x: Tracer): ConcreteArray {
    if (!(x instanceof ConcreteArray)) {
      throw new TypeError(
        `Variable '${name}': expected a concrete Array, received a traced value (${x.aval.str()}). ` +
          `Assign variables outside jit/grad, or return the new value from the traced function.`,
      );
    }
    return keep(x.retain());
  }

  get shape(): readonly number[] {
    return this.#value.shape;
  }

  get dtype(): DType {
    return this.#value.dtype;
  }

  /** The current value (inside a stateless call: the value given to that call). */
  get value(): Tracer {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const s = scopes[i];
      const v = s.updates.get(this) ?? s.values.get(this);
      if (v) return v;
    }
    return this.#value;
  }

  /**
   * Sets the value. Inside a stateless call the assignment is recorded and returned as new
   * state; outside, the old value is released.
   */
  assign(x: ArrayLike): void {
    const v = np.asarray(x);
    if (v.shape.length !== this.shape.length || v.shape.some((d, i) => d !== this.shape[i])) {
      throw new RangeError(
        `Variable '${this.name}'.assign: expected shape [${this.shape}], received [${v.shape}]. ` +
          `Reshape the value, or create a new weight with the new shape.`,
      );
    }
    const typed = v.dtype === this.dtype ? v : v.astype(this.dtype);
    const scope = scopes.find((s) => s.values.has(this));
    if (scope) {
      scope.updates.set(this, typed);
      return;
    }
    const old = this.#value;
    this.#value = Variable.#own(this.name, typed);
    old.dispose();
  }

  /** The value as nested JS arrays (concrete values only). */
  toArray(): unknown {
    return this.#value.toArray();
  }

  /** Releases the value's memory; the variable is unusable afterwards. */
  dispose(): void {
    this.#value.dispose();
  }
}

/**
 * Runs `fn` with `values` standing in for their variables; returns its result and the values
 * assigned to variables during the call.
 */
export function withVariableValues<T>(values: Map<Variable, Tracer>, fn: () => T): [T, Map<Variable, Tracer>] {
  const scope: Scope = { values, updates: new Map() };
  scopes.push(scope);
  try {
    return [fn(), scope.updates];
  } finally {
    scopes.pop();
  }
}

const counters = new Map<string, number>();

/** Keras' automatic names: `dense`, `dense_1`, `dense_2`, ... per base name. */
export function uniqueName(base: string): string {
  const n = counters.get(base) ?? 0;
  counters.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/**
 * Resets automatic layer names (`dense`, `dense_1`, ...), like Keras' `clear_session`.
 *
 * @example clearSession(); new layers.Dense(3).name // "dense"
 */
export function clearSession(): void {
  counters.clear();
}

/** snake_case of a class name: `Conv2D` -> `conv2d`, `BatchNormalization` -> `batch_normalization`. */
export const snakeCase = (s: string): string =>
  s.replace(/(.)([A-Z][a-z0-9]+)/g, "$1_$2").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
