/**
 * @file Recurrent cells, Keras 3 style: SimpleRNNCell, LSTMCell and GRUCell. A cell computes one
 * time step, `[x_t, states] -> [output, newStates]`; the RNN layers (rnn.ts) scan it over a
 * sequence. Weights are Keras': `kernel [in, k*units]`, `recurrent_kernel [units, k*units]`,
 * `bias`, gates in Keras order (LSTM i, f, c, o; GRU z, r, h). Dropout masks are drawn once per
 * sequence and shared by every step, as Keras' DropoutRNNCell does.
 */
import { np, random, type DType, type Tracer } from "../../index.js";
import type { CallContext } from "../call-context.js";
import { Layer, type LayerConfig, type LayerOptions } from "../layer.js";
import {
  type ActivationLike, type ConstraintLike, type InitializerLike, type RegularizerLike, activationId, resolveActivation, resolveInitializer,
} from "../resolve.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { serializeObject } from "./config-util.js";

/** Options shared by the three cells (and the RNN layers built on them). */
export interface RNNCellOptions extends LayerOptions {
  /** Output activation (default `"tanh"`). */
  readonly activation?: ActivationLike;
  readonly useBias?: boolean;
  readonly kernelInitializer?: InitializerLike;
  /** Default `"orthogonal"`. */
  readonly recurrentInitializer?: InitializerLike;
  readonly biasInitializer?: InitializerLike;
  readonly kernelRegularizer?: RegularizerLike | null;
  readonly recurrentRegularizer?: RegularizerLike | null;
  readonly biasRegularizer?: RegularizerLike | null;
  readonly kernelConstraint?: ConstraintLike | null;
  readonly recurrentConstraint?: ConstraintLike | null;
  readonly biasConstraint?: ConstraintLike | null;
  /** Fraction of the input units dropped during training, in [0, 1). */
  readonly dropout?: number;
  /** Fraction of the recurrent-state units dropped during training, in [0, 1). */
  readonly recurrentDropout?: number;
  readonly seed?: number | null;
}

export interface LSTMCellOptions extends RNNCellOptions {
  /** Gate activation (default `"sigmoid"`). */
  readonly recurrentActivation?: ActivationLike;
  /** Initialize the forget gate's bias to 1 (default true). */
  readonly unitForgetBias?: boolean;
}

export interface GRUCellOptions extends RNNCellOptions {
  /** Gate activation (default `"sigmoid"`). */
  readonly recurrentActivation?: ActivationLike;
  /** Apply the reset gate after the recurrent matmul (default true: bias shape [2, 3*units]). */
  readonly resetAfter?: boolean;
}

/** The dropout masks of one sequence: none, one shared by all gates, or one per gate. */
export interface DropoutMasks {
  readonly input: readonly Tracer[] | null;
  readonly recurrent: readonly Tracer[] | null;
}

const rate = (cls: string, what: string, r: unknown): number => {
  if (typeof r !== "number" || !(r >= 0 && r < 1)) {
    throw new RangeError(`${cls}: ${what} must be a number in [0, 1), received ${JSON.stringify(r)}.`);
  }
  return r;
};

/** `x @ w` with the masks applied: one mask for the whole matmul, or one per block of `units` columns. */
function maskedMatmul(x: Tracer, w: Tracer, masks: readonly Tracer[] | null): Tracer {
  if (!masks) return np.matmul(x, w);
  if (masks.length === 1) return np.matmul(x.mul(masks[0]), w);
  const blocks = np.split(w, masks.length, 1);
  return np.concatenate(blocks.map((b, g) => np.matmul(x.mul(masks[g]), b)), -1);
}

/**
 * Base of the recurrent cells: weights, dropout masks and config. Subclasses give the number of
 * gates and the step.
 *
 * @example new layers.LSTMCell(8).apply([x, [h, c]]) // [h', [h', c']]
 */
export abstract class RNNCell extends Layer {
  readonly units: number;
  readonly activation: (x: Tracer) => Tracer;
  readonly dropout: number;
  readonly recurrentDropout: number;
  kernel!: Variable;
  recurrentKernel!: Variable;
  bias: Variable | null = null;
  /** Gate blocks in the kernels (1, 4 or 3). */
  protected abstract readonly gates: number;

  constructor(units: number, readonly options: RNNCellOptions = {}) {
    super(options);
    if (!Number.isInteger(units) || units <= 0) {
      throw new RangeError(`${this.className}: units must be a positive integer, received ${JSON.stringify(units)}.`);
    }
    this.units = units;
    this.activation = resolveActivation(options.activation === undefined ? "tanh" : options.activation);
    this.dropout = rate(this.className, "dropout", options.dropout ?? 0);
    this.recurrentDropout = rate(this.className, "recurrentDropout", options.recurrentDropout ?? 0);
  }

  /** Sizes of the state arrays (each `[batch, size]`). */
  get stateSize(): number[] {
    return [this.units];
  }

  get outputSize(): number {
    return this.units;
  }

  protected biasShape(): number[] {
    return [this.gates * this.units];
  }

  protected biasInitializer(): InitializerLike {
    return this.options.biasInitializer ?? "zeros";
  }

  override build(shape: Shape | [Shape, unknown]): void {
    // Called directly on [x, states] the shape tree holds the input's shape first.
    const inDim = (Array.isArray(shape[0]) ? (shape[0] as Shape) : (shape as Shape)).at(-1);
    if (inDim === null || inDim === undefined) {
      throw new RangeError(`${this.className} '${this.name}': the last input dimension must be known, received shape [${shape}].`);
    }
    const o = this.options;
    const k = this.gates * this.units;
    this.kernel = this.addWeight("kernel", [inDim, k], {
      initializer: o.kernelInitializer ?? "glorot_uniform", regularizer: o.kernelRegularizer, constraint: o.kernelConstraint,
    });
    this.recurrentKernel = this.addWeight("recurrent_kernel", [this.units, k], {
      initializer: o.recurrentInitializer ?? "orthogonal", regularizer: o.recurrentRegularizer, constraint: o.recurrentConstraint,
    });
    if (o.useBias ?? true) {
      this.bias = this.addWeight("bias", this.biasShape(), {
        initializer: this.biasInitializer(), regularizer: o.biasRegularizer, constraint: o.biasConstraint,
      });
    }
  }

  /** Zero states for a batch of `batch`. */
  getInitialState(batch: number, dtype: DType = this.dtype): Tracer[] {
    return this.stateSize.map((s) => np.zeros([batch, s], { dtype }));
  }

  /** Masks per kind: one per gate when recurrent dropout is on (Keras' implementation 1), else one. */
  protected maskCount(): number {
    return this.recurrentDropout > 0 ? this.gates : 1;
  }

  /**
   * Draws the dropout masks for a sequence whose steps are `(batch, features)` (only in training,
   * only for non-zero rates). Values are 0 or `1 / (1 - rate)`.
   */
  dropoutMasks(ctx: CallContext, stepShape: readonly number[], dtype: DType = this.dtype): DropoutMasks {
    const draw = (r: number, shape: number[]): Tracer[] | null => {
      if (!ctx.training || r === 0) return null;
      return Array.from({ length: this.maskCount() }, () => {
        const keep = random.bernoulli(ctx.nextKey(), 1 - r, shape);
        return np.where(keep, 1 / (1 - r), 0).astype(dtype);
      });
    };
    return { input: draw(this.dropout, [...stepShape]), recurrent: draw(this.recurrentDropout, [stepShape[0], this.units]) };
  }

  /** One step: `[output, newStates]` for inputs `x` `[batch, in]` and `states` (each `[batch, size]`). */
  abstract step(x: Tracer, states: readonly Tracer[], masks: DropoutMasks): [Tracer, Tracer[]];

  /** One step on `[x, states]` (states an array, or one Array for single-state cells). */
  call(inputs: [Tracer, Tracer | readonly Tracer[]], ctx: CallContext): [Tracer, Tracer[]] {
    if (!Array.isArray(inputs) || inputs.length !== 2) {
      throw new TypeError(`${this.className} '${this.name}': expected inputs [x, states], received ${typeof inputs}. Call cell.apply([x, [h, ...]]).`);
    }
    const [x, s] = inputs;
    const states = Array.isArray(s) ? (s as Tracer[]) : [s as Tracer];
    if (states.length !== this.stateSize.length) {
      throw new RangeError(`${this.className} '${this.name}': expected ${this.stateSize.length} state array(s), received ${states.length}.`);
    }
    return this.step(x, states, this.dropoutMasks(ctx, x.shape, x.dtype));
  }

  /** Input and recurrent projections with their masks. */
  protected project(x: Tracer, h: Tracer, masks: DropoutMasks): [Tracer, Tracer] {
    return [maskedMatmul(x, this.kernel.value, masks.input), maskedMatmul(h, this.recurrentKernel.value, masks.recurrent)];
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), units: this.units, activation: activationId(o.activation === undefined ? "tanh" : o.activation),
      useBias: o.useBias ?? true,
      kernelInitializer: serializeObject(o.kernelInitializer ?? "glorot_uniform"),
      recurrentInitializer: serializeObject(o.recurrentInitializer ?? "orthogonal"),
      biasInitializer: serializeObject(o.biasInitializer ?? "zeros"),
      kernelRegularizer: serializeObject(o.kernelRegularizer ?? null), recurrentRegularizer: serializeObject(o.recurrentRegularizer ?? null),
      biasRegularizer: serializeObject(o.biasRegularizer ?? null),
      kernelConstraint: serializeObject(o.kernelConstraint ?? null), recurrentConstraint: serializeObject(o.recurrentConstraint ?? null),
      biasConstraint: serializeObject(o.biasConstraint ?? null),
      dropout: this.dropout, recurrentDropout: this.recurrentDropout, seed: o.seed ?? null,
    };
  }
}

/**
 * Fully connected recurrence: `h = activation(x @ kernel + bias + h_prev @ recurrent_kernel)`.
 *
 * @example new layers.RNN(new layers.SimpleRNNCell(16))
 */
export class SimpleRNNCell extends RNNCell {
  protected readonly gates = 1;

  step(x: Tracer, [h]: readonly Tracer[], masks: DropoutMasks): [Tracer, Tracer[]] {
    const [xw, hr] = this.project(x, h, masks);
    const out = this.activation((this.bias ? xw.add(this.bias.value) : xw).add(hr));
    return [out, [out]];
  }

  static fromConfig(c: LayerConfig): SimpleRNNCell {
    return new SimpleRNNCell(c.units as number, c as RNNCellOptions);
  }
}

/**
 * Long short-term memory step (states `[h, c]`): `z = x @ kernel + h @ recurrent_kernel + bias`
 * split into i, f, c, o; `c' = f*c + i*act(z_c)`; `h' = o*act(c')`.
 *
 * @example new layers.RNN(new layers.LSTMCell(16))
 */
export class LSTMCell extends RNNCell {
  protected readonly gates = 4;
  readonly recurrentActivation: (x: Tracer) => Tracer;

  constructor(units: number, override readonly options: LSTMCellOptions = {}) {
    super(units, options);
    this.recurrentActivation = resolveActivation(options.recurrentActivation === undefined ? "sigmoid" : options.recurrentActivation);
  }

  override get stateSize(): number[] {
    return [this.units, this.units];
  }

  protected override biasInitializer(): InitializerLike {
    if (!(this.options.unitForgetBias ?? true)) return super.biasInitializer();
    const init = resolveInitializer(super.biasInitializer());
    const u = this.units;
    return (_key, _shape, dtype) => np.concatenate([init([u], dtype), np.ones([u], { dtype }), init([2 * u], dtype)]);
  }

  step(x: Tracer, [h, c]: readonly Tracer[], masks: DropoutMasks): [Tracer, Tracer[]] {
    const [xw, hr] = this.project(x, h, masks);
    let z = xw.add(hr);
    if (this.bias) z = z.add(this.bias.value);
    const [zi, zf, zc, zo] = np.split(z, 4, 1);
    const i = this.recurrentActivation(zi);
    const f = this.recurrentActivation(zf);
    const cNew = f.mul(c).add(i.mul(this.activation(zc)));
    const o = this.recurrentActivation(zo);
    const hNew = o.mul(this.activation(cNew));
    return [hNew, [hNew, cNew]];
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), recurrentActivation: activationId(o.recurrentActivation === undefined ? "sigmoid" : o.recurrentActivation),
      unitForgetBias: o.unitForgetBias ?? true,
    };
  }

  static fromConfig(c: LayerConfig): LSTMCell {
    return new LSTMCell(c.units as number, c as LSTMCellOptions);
  }
}

/**
 * Gated recurrent unit step: gates z (update), r (reset), h (candidate);
 * `h' = z*h + (1-z)*act(x_h + r*(h @ R_h + b_h))` with `resetAfter` (default), else
 * `act(x_h + (r*h) @ R_h)`.
 *
 * @example new layers.RNN(new layers.GRUCell(16))
 */
export class GRUCell extends RNNCell {
  protected readonly gates = 3;
  readonly recurrentActivation: (x: Tracer) => Tracer;
  readonly resetAfter: boolean;

  constructor(units: number, override readonly options: GRUCellOptions = {}) {
    super(units, options);
    this.recurrentActivation = resolveActivation(options.recurrentActivation === undefined ? "sigmoid" : options.recurrentActivation);
    this.resetAfter = options.resetAfter ?? true;
  }

  protected override biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  step(x: Tracer, [h]: readonly Tracer[], masks: DropoutMasks): [Tracer, Tracer[]] {
    const u = this.units;
    const b = this.bias?.value;
    const [inBias, recBias] = !b ? [null, null] : this.resetAfter ? np.split(b, 2, 0).map((t) => t.reshape([3 * u])) : [b, null];
    let mx = maskedMatmul(x, this.kernel.value, masks.input);
    if (inBias) mx = mx.add(inBias);
    const [xz, xr, xh] = np.split(mx, 3, 1);
    const rk = this.recurrentKernel.value;
    const rm = masks.recurrent;
    let rz: Tracer, rr: Tracer, rh: Tracer;
    if (this.resetAfter) {
      let inner = maskedMatmul(h, rk, rm);
      if (recBias) inner = inner.add(recBias);
      [rz, rr, rh] = np.split(inner, 3, 1);
    } else {
      const [rkZR, rkH] = np.split(rk, [2 * u], 1);
      [rz, rr] = np.split(maskedMatmul(h, rkZR, rm && rm.length > 1 ? rm.slice(0, 2) : rm), 2, 1);
      rh = rkH; // used below, after r is known
    }
    const z = this.recurrentActivation(xz.add(rz));
    const r = this.recurrentActivation(xr.add(rr));
    const recH = this.resetAfter ? r.mul(rh) : np.matmul(r.mul(rm ? h.mul(rm[rm.length - 1]) : h), rh);
    const hh = this.activation(xh.add(recH));
    const hNew = z.mul(h).add(np.subtract(1, z).mul(hh));
    return [hNew, [hNew]];
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), recurrentActivation: activationId(o.recurrentActivation === undefined ? "sigmoid" : o.recurrentActivation),
      resetAfter: this.resetAfter,
    };
  }

  static fromConfig(c: LayerConfig): GRUCell {
    return new GRUCell(c.units as number, c as GRUCellOptions);
  }
}
