/**
 * @file The base of Keras' initializer classes, Keras' fan computation, and the two
 * deterministic-structure initializers, Orthogonal and Identity.
 * Reference: keras/src/initializers/{initializer,random_initializers,constant_initializers}.py (Keras 3.3).
 */
import { np, lax, random, ConcreteArray, ShapeError, type DType, type Tracer } from "../index.js";
import { type Config, configArgs, describe, numberArg } from "../optim/keras-config.js";

/** What a subclass's static side offers to the shared `fromConfig`. */
interface InitializerClass<T> {
  new (config: any): T;
  readonly name: string;
  readonly configKeys: readonly string[];
}

/**
 * Base of the initializer classes: `sample(key, shape, dtype)` returns a new Array.
 *
 * @example const w = new GlorotUniform().sample(random.key(0), [784, 128]);
 */
export abstract class Initializer {
  static readonly configKeys: readonly string[] = [];

  /** Draws an Array of `shape` (default dtype float32); traceable. */
  abstract sample(key: Tracer, shape: readonly number[], dtype?: DType): Tracer;

  /** The constructor arguments (camelCase), JSON-safe. */
  getConfig(): Config {
    return {};
  }

  /** Rebuilds an initializer from `getConfig()` output (Keras' snake_case keys are accepted). */
  static fromConfig<T>(this: InitializerClass<T>, config: Config): T {
    return new this(configArgs(`initializers.${this.name}`, config, this.configKeys));
  }
}

/** Keras' per-initializer `seed`: when set, it replaces the key, so every draw is the same. */
export abstract class RandomInitializer extends Initializer {
  readonly seed: number | null;

  protected constructor(op: string, seed: unknown) {
    super();
    if (seed !== undefined && seed !== null && !Number.isInteger(seed)) {
      throw new TypeError(`${op}: seed must be an integer or null; received ${describe(seed)}.`);
    }
    this.seed = (seed as number | null | undefined) ?? null;
  }

  protected keyOf(key: Tracer): Tracer {
    return this.seed === null ? key : random.key(this.seed);
  }

  override getConfig(): Config {
    return { seed: this.seed };
  }
}

/** Shape check shared by `sample`. */
export function shapeArg(op: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`${op}.sample: shape must be an array of integers >= 0; received ${describe(shape)}.`);
  }
  return [...shape];
}

/**
 * Fan-in and fan-out as Keras computes them: 1 for scalars, the length for vectors, rows and
 * columns for matrices, and for kernels [...receptive, in, out] the channels times the
 * receptive field.
 *
 * @example kerasFans([3, 3, 16, 32]) // [144, 288]
 */
export function kerasFans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

/** Arguments of `Orthogonal` and `Identity`. */
export interface GainConfig {
  /** Multiplier of the result. Default 1. */
  readonly gain?: number;
  readonly seed?: number | null;
}

/**
 * Orthonormal columns of an m×n matrix (m ≥ n, row-major doubles) with a positive diagonal
 * of R, i.e. the Q of the QR decomposition normalized as Keras does with `q · sign(diag r)`.
 * Gram-Schmidt run twice per column keeps Q orthogonal to rounding for random matrices.
 */
function orthonormalColumns(a: Float64Array, m: number, n: number): Float64Array {
  const cols = Array.from({ length: n }, (_, j) => Float64Array.from({ length: m }, (_, i) => a[i * n + j]));
  for (let j = 0; j < n; j++) {
    const c = cols[j];
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const q = cols[k];
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[i] * c[i];
        for (let i = 0; i < m; i++) c[i] -= dot * q[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += c[i] * c[i];
    // A zero column has sign(r_jj) = 0 in Keras' formula: it stays zero.
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let i = 0; i < m; i++) c[i] *= inv;
  }
  const out = new Float64Array(m * n);
  cols.forEach((c, j) => c.forEach((v, i) => (out[i * n + j] = v)));
  return out;
}

/** Largest matrix the traced path (np.linalg.qr) takes; concrete draws of any size use plain JS. */
const TRACED_QR_MAX = 64;

/**
 * A (semi-)orthogonal matrix times `gain` (default 1), reshaped to the weight's shape: the
 * shape is read as a matrix [prod(shape[:-1]), shape[-1]], and its rows or columns, whichever
 * are fewer, are orthonormal. Eager draws of any size work; inside a trace the matrix is
 * limited to 64 rows and columns (the unrolled np.linalg.qr).
 *
 * @example const w = new Orthogonal().sample(random.key(0), [64, 64]); // w^T w = I
 */
export class Orthogonal extends RandomInitializer {
  static override readonly configKeys = ["gain", "seed"];
  readonly gain: number;

  constructor(gain: number | GainConfig = {}, opts: { seed?: number | null } = {}) {
    const c = typeof gain === "number" ? { gain, ...opts } : gain;
    super("initializers.Orthogonal", c.seed);
    this.gain = numberArg("initializers.Orthogonal", "gain", c.gain, 1);
  }

  sample(key: Tracer, shape: readonly number[], dtype: DType = "float32"): Tracer {
    const op = "initializers.Orthogonal.sample";
    const s = shapeArg("initializers.Orthogonal", shape);
    if (s.length < 2) {
      throw new ShapeError(`${op}: the shape must be at least 2-D; received [${s.join(", ")}] of rank ${s.length}. Use a matrix or kernel shape.`);
    }
    const rows = s.slice(0, -1).reduce((p, d) => p * d, 1);
    const cols = s[s.length - 1];
    const [big, small] = [Math.max(rows, cols), Math.min(rows, cols)];
    const a = random.normal(this.keyOf(key), [big, small], { dtype });
    let q: Tracer;
    if (a instanceof ConcreteArray) {
      const f = orthonormalColumns(Float64Array.from(a.dataSync() as ArrayLike<number>), big, small);
      q = lax.convertElementType(np.array(f, { shape: [big, small] }), dtype);
    } else if (big <= TRACED_QR_MAX) {
      const [qq, r] = np.linalg.qr(a);
      q = qq.mul(np.sign(np.diagonal(r)));
    } else {
      throw new RangeError(
        `${op}: inside a trace the matrix is limited to ${TRACED_QR_MAX} rows and columns (received [${rows}, ${cols}]); ` +
          "initialize the weights eagerly (outside jit), where any size works.",
      );
    }
    if (rows < cols) q = q.T;
    return np.reshape(q, s).mul(this.gain);
  }

  override getConfig(): Config {
    return { gain: this.gain, ...super.getConfig() };
  }
}

/**
 * `gain` (default 1) times the identity matrix; 2-D shapes only (rectangular ones get ones
 * on the main diagonal).
 *
 * @example new Identity().sample(key, [2, 3]) // [[1, 0, 0], [0, 1, 0]]
 */
export class Identity extends Initializer {
  static override readonly configKeys = ["gain"];
  readonly gain: number;

  constructor(gain: number | { gain?: number } = {}) {
    super();
    this.gain = numberArg("initializers.Identity", "gain", typeof gain === "number" ? gain : gain.gain, 1);
  }

  sample(_key: Tracer, shape: readonly number[], dtype: DType = "float32"): Tracer {
    const s = shapeArg("initializers.Identity", shape);
    if (s.length !== 2) {
      throw new ShapeError(`initializers.Identity.sample: only 2-D shapes have an identity; received [${s.join(", ")}] of rank ${s.length}.`);
    }
    return np.eye(s[0], s[1], 0, { dtype }).mul(this.gain);
  }

  override getConfig(): Config {
    return { gain: this.gain };
  }
}
