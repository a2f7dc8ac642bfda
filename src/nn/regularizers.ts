/**
 * @file Keras' weight regularizers (`keras.regularizers`): L1, L2, L1L2 and
 * OrthogonalRegularizer. `call(w)` returns the scalar penalty a layer adds to the loss; it is
 * built from array ops, so it traces inside the training step and has a gradient.
 * Reference: keras/src/regularizers/regularizers.py (Keras 3.3).
 */
import { np, ShapeError, type Tracer } from "../index.js";
import {
  type Config, type JsonValue, type Serialized, choiceArg, configArgs, deserializeWith, makeRegistry, numberArg, resolve, serializeWith,
} from "../optim/keras-config.js";

/** What a subclass's static side offers to the shared `fromConfig`. */
interface RegularizerClass<T> {
  new (config: any): T;
  readonly name: string;
  readonly configKeys: readonly string[];
}

/**
 * Base of the regularizers: `call(weight)` is a scalar penalty in the weight's dtype.
 *
 * @example const loss = new L2(1e-4).call(kernel);
 */
export abstract class Regularizer {
  static readonly configKeys: readonly string[] = [];

  /** The penalty for `weight`, a scalar; traceable. */
  abstract call(weight: Tracer): Tracer;

  /** The constructor arguments (camelCase), JSON-safe. */
  abstract getConfig(): Config;

  /** Rebuilds a regularizer from `getConfig()` output (Keras' snake_case keys are accepted). */
  static fromConfig<T>(this: RegularizerClass<T>, config: Config): T {
    return new this(configArgs(`regularizers.${this.name}`, config, this.configKeys));
  }
}

// Keras' validate_float_arg: a finite float >= 0.
const factor = (op: string, name: string, v: unknown, dflt: number) => numberArg(op, name, v, dflt, "nonNegative");

/**
 * `l1 · Σ|w| + l2 · Σw²` (defaults 0 and 0).
 *
 * @example new L1L2({ l1: 1e-5, l2: 1e-4 }).call(w)
 */
export class L1L2 extends Regularizer {
  static override readonly configKeys = ["l1", "l2"];
  readonly l1: number;
  readonly l2: number;

  constructor(l1: number | { l1?: number; l2?: number } = {}, l2?: number) {
    super();
    const c = typeof l1 === "number" ? { l1, l2 } : l1;
    this.l1 = factor("regularizers.L1L2", "l1", c.l1, 0);
    this.l2 = factor("regularizers.L1L2", "l2", c.l2, 0);
  }

  call(weight: Tracer): Tracer {
    let r = np.zeros([], { dtype: weight.dtype });
    if (this.l1) r = r.add(np.sum(np.abs(weight)).mul(this.l1));
    if (this.l2) r = r.add(np.sum(np.square(weight)).mul(this.l2));
    return r;
  }

  getConfig(): Config {
    return { l1: this.l1, l2: this.l2 };
  }
}

/**
 * `l1 · Σ|w|` (default l1 0.01).
 *
 * @example new L1(0.01).call(np.array([1, -2])) // 0.03
 */
export class L1 extends Regularizer {
  static override readonly configKeys = ["l1"];
  readonly l1: number;

  constructor(l1: number | { l1?: number } = {}) {
    super();
    this.l1 = factor("regularizers.L1", "l1", typeof l1 === "number" ? l1 : l1.l1, 0.01);
  }

  call(weight: Tracer): Tracer {
    return np.sum(np.abs(weight)).mul(this.l1);
  }

  getConfig(): Config {
    return { l1: this.l1 };
  }
}

/**
 * `l2 · Σw²` (default l2 0.01; no factor ½, as Keras).
 *
 * @example new L2(0.01).call(np.array([1, -2])) // 0.05
 */
export class L2 extends Regularizer {
  static override readonly configKeys = ["l2"];
  readonly l2: number;

  constructor(l2: number | { l2?: number } = {}) {
    super();
    this.l2 = factor("regularizers.L2", "l2", typeof l2 === "number" ? l2 : l2.l2, 0.01);
  }

  call(weight: Tracer): Tracer {
    return np.sum(np.square(weight)).mul(this.l2);
  }

  getConfig(): Config {
    return { l2: this.l2 };
  }
}

/** Arguments of `OrthogonalRegularizer`. */
export interface OrthogonalRegularizerConfig {
  /** Default 0.01. */
  readonly factor?: number;
  /** Which vectors should be orthogonal: "rows" (default) or "columns". */
  readonly mode?: "rows" | "columns";
}

/**
 * Pushes the rows (or columns) of a 2-D weight towards orthogonality: with the vectors
 * normalized to unit length, `factor · ½ Σ_{i≠j} |v_i · v_j| / (n(n−1)/2)` (the mean
 * absolute cosine over pairs).
 *
 * @example new OrthogonalRegularizer({ factor: 0.01, mode: "columns" }).call(kernel)
 */
export class OrthogonalRegularizer extends Regularizer {
  static override readonly configKeys = ["factor", "mode"];
  readonly factor: number;
  readonly mode: "rows" | "columns";

  constructor(f: number | OrthogonalRegularizerConfig = {}, mode?: "rows" | "columns") {
    super();
    const c = typeof f === "number" ? { factor: f, mode } : f;
    this.factor = factor("regularizers.OrthogonalRegularizer", "factor", c.factor, 0.01);
    this.mode = choiceArg("regularizers.OrthogonalRegularizer", "mode", c.mode, "rows", ["rows", "columns"]);
  }

  call(weight: Tracer): Tracer {
    if (weight.ndim !== 2) {
      throw new ShapeError(`regularizers.OrthogonalRegularizer: the weight must be 2-D; received shape [${weight.shape.join(", ")}].`);
    }
    const v = this.mode === "rows" ? weight : weight.T;
    const unit = v.div(np.maximum(np.sqrt(np.sum(np.square(v), { axis: 1, keepdims: true })), 1e-7));
    const n = v.shape[0];
    const offDiag = np.matmul(unit, unit.T).mul(np.subtract(1, np.eye(n, n, 0, { dtype: weight.dtype })));
    const pairs = (n * (n - 1)) / 2;
    return np.sum(np.abs(offDiag)).mul((this.factor * 0.5) / pairs);
  }

  getConfig(): Config {
    return { factor: this.factor, mode: this.mode };
  }
}

// Keras 3 spells the snake_case name of L1L2 "l1l2"; tf.keras used "l1_l2". Both work.
const REGISTRY = makeRegistry<Regularizer>([L1, L2, L1L2, OrthogonalRegularizer], { l1l2: L1L2 });

/**
 * Keras' `regularizers.get`: an instance as is, a name ("l1", "l2", "l1_l2",
 * "orthogonal_regularizer", or the class name) with Keras' defaults, or a `{ className,
 * config }` record.
 *
 * @example const reg = get("l2"); // new L2(0.01)
 */
export const get = (id: Regularizer | JsonValue): Regularizer =>
  resolve("regularizers.get", "regularizer", id, REGISTRY, (x): x is Regularizer => x instanceof Regularizer);

/**
 * `{ className, config }` of a regularizer.
 *
 * @example serialize(new L2(1e-4)) // { className: "L2", config: { l2: 0.0001 } }
 */
export const serialize = (r: Regularizer): Serialized => serializeWith("regularizers.serialize", r, REGISTRY);

/**
 * Rebuilds a regularizer from `serialize` output (or Keras' `{ class_name, config }`).
 *
 * @example deserialize({ className: "L1L2", config: { l1: 0.01, l2: 0.01 } })
 */
export const deserialize = (record: JsonValue): Regularizer => deserializeWith("regularizers.deserialize", "regularizer", record, REGISTRY);
