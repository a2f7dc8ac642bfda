/**
 * @file Recurrent layers (Keras 3): the `RNN` layer that scans a cell over the time axis with
 * `lax.scan` (one traced step, never unrolled into the program), SimpleRNN / LSTM / GRU on top
 * of it, and the wrappers `Bidirectional` and `TimeDistributed`.
 *
 * Call inputs: a `(batch, time, features)` Array, or `{ sequences, mask?, initialState? }` —
 * Kiln's form of Keras' `mask=` and `initial_state=` call arguments (masks are not propagated
 * automatically between layers; pass the `(batch, time)` boolean mask here). Masked steps keep
 * the previous states, and output the previous output (zeros with `zeroOutputForMask`).
 */
import { np, lax, type DType, type Tracer } from "../../index.js";
import type { CallContext } from "../call-context.js";
import { Layer, type LayerConfig, type LayerOptions } from "../layer.js";
import type { Shape } from "../symbolic.js";
import {
  type DropoutMasks, type GRUCellOptions, type LSTMCellOptions, type RNNCellOptions, GRUCell, LSTMCell, RNNCell, SimpleRNNCell,
} from "./rnn-cells.js";
import * as core from "./core.js";

export interface RNNOptions extends LayerOptions {
  /** Return the whole output sequence `(batch, time, units)` instead of the last output. */
  readonly returnSequences?: boolean;
  /** Also return the final states: `[output, ...states]`. */
  readonly returnState?: boolean;
  /** Process the sequence backwards; the output sequence is then in processing (reversed) order. */
  readonly goBackwards?: boolean;
  /** Not supported in Kiln: must be false. */
  readonly stateful?: boolean;
  /** Unroll the time loop in JS instead of `lax.scan` (same values; a longer program). */
  readonly unroll?: boolean;
  /** Masked steps output zeros instead of the previous output. */
  readonly zeroOutputForMask?: boolean;
}

/** The dictionary form of an RNN's inputs. */
export interface RNNInputs {
  readonly sequences: Tracer;
  /** `(batch, time)` booleans: false skips the step. */
  readonly mask?: Tracer | null;
  /** One `(batch, size)` Array per state of the cell (LSTM: `[h, c]`). */
  readonly initialState?: Tracer | readonly Tracer[] | null;
}

/**
 * What `RNN` can scan: Kiln's cells, or any layer with a `stateSize` whose `call([x, states], ctx)`
 * returns `[output, newStates]`.
 */
export type CellLike = Layer & {
  readonly stateSize: number | readonly number[];
  readonly outputSize?: number;
  step?(x: Tracer, states: readonly Tracer[], masks: DropoutMasks): [Tracer, Tracer[]];
  dropoutMasks?(ctx: CallContext, stepShape: readonly number[], dtype: DType): DropoutMasks;
};

type LayerClass = { fromConfig(c: LayerConfig, custom?: Record<string, LayerClass>): Layer };

/** The sequence shape of an input shape (plain, or the `sequences` entry of the dictionary form). */
const sequencesShape = (shape: any): Shape => (Array.isArray(shape) ? shape : shape?.sequences) as Shape;

/** Builds a sublayer from the outer layer's `build` (weights must exist before the first call). */
export function buildSublayer(layer: Layer, shape: unknown): void {
  if (layer.built) return;
  layer.build(shape);
  layer.built = true;
}

const stepAt = (x: Tracer, t: number): Tracer => lax.squeeze(lax.slice(x, [t, ...x.shape.slice(1).map(() => 0)], [t + 1, ...x.shape.slice(1)]), [0]);

/**
 * Base class for recurrent layers: runs `cell` over the time axis (axis 1).
 *
 * @example new layers.RNN(new layers.LSTMCell(8), { returnSequences: true }).apply(x) // (b, t, 8)
 */
export class RNN extends Layer {
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly unroll: boolean;
  /** Set by `Bidirectional` to `returnSequences`, as Keras does. */
  zeroOutputForMask: boolean;

  constructor(readonly cell: CellLike, readonly rnnOptions: RNNOptions = {}) {
    super(rnnOptions);
    if (!(cell instanceof Layer) || cell.stateSize === undefined) {
      throw new TypeError(`${this.className}: cell must be a Layer with a stateSize (e.g. new layers.LSTMCell(8)), received ${String(cell)}.`);
    }
    if (rnnOptions.stateful) {
      throw new RangeError(
        `${this.className}: stateful=true is not supported by Kiln. Pass the previous final states as ` +
          `{ sequences, initialState } (use returnState: true to get them).`,
      );
    }
    this.returnSequences = rnnOptions.returnSequences ?? false;
    this.returnState = rnnOptions.returnState ?? false;
    this.goBackwards = rnnOptions.goBackwards ?? false;
    this.unroll = rnnOptions.unroll ?? false;
    this.zeroOutputForMask = rnnOptions.zeroOutputForMask ?? false;
  }

  get stateful(): boolean {
    return false;
  }

  get stateSize(): number[] {
    const s = this.cell.stateSize;
    return typeof s === "number" ? [s] : [...s];
  }

  override build(shape: any): void {
    if (Array.isArray(shape) && Array.isArray(shape[0])) throw this.#listError();
    const s = sequencesShape(shape);
    if (!Array.isArray(s) || s.length < 3) {
      throw new RangeError(`${this.className} '${this.name}': expected inputs of rank >= 3 (batch, time, features), received shape [${s}].`);
    }
    buildSublayer(this.cell, [s[0], ...s.slice(2)]);
  }

  #listError(): TypeError {
    return new TypeError(
      `${this.className} '${this.name}': received an array of inputs. Pass the sequences alone, or ` +
        `{ sequences, mask, initialState } for a mask or initial states.`,
    );
  }

  #unpack(inputs: any): { x: Tracer; mask: Tracer | null; initial: Tracer[] | null } {
    if (inputs && typeof inputs === "object" && "sequences" in inputs) {
      const i = inputs as RNNInputs;
      const s = i.initialState;
      return { x: i.sequences, mask: i.mask ?? null, initial: s === null || s === undefined ? null : Array.isArray(s) ? [...s] : [s as Tracer] };
    }
    if (Array.isArray(inputs)) throw this.#listError();
    return { x: inputs as Tracer, mask: null, initial: null };
  }

  call(inputs: Tracer | RNNInputs, ctx: CallContext): Tracer | Tracer[] {
    const { x: raw, mask, initial } = this.#unpack(inputs);
    // Keras casts floating inputs to the layer's dtype.
    const x = raw.dtype !== this.dtype && raw.dtype.startsWith("float") ? raw.astype(this.dtype) : raw;
    if (x.ndim < 3) {
      throw new RangeError(`${this.className} '${this.name}': expected inputs of rank >= 3 (batch, time, features), received shape [${x.shape}].`);
    }
    const [batch, time] = x.shape;
    const sizes = this.stateSize;
    let states = initial ?? (this.cell as { getInitialState?: (b: number) => Tracer[] }).getInitialState?.(batch) ?? sizes.map((n) => np.zeros([batch, n], { dtype: x.dtype }));
    if (states.length !== sizes.length || states.some((st, i) => st.shape.length !== 2 || st.shape[0] !== batch || st.shape[1] !== sizes[i])) {
      throw new RangeError(
        `${this.className} '${this.name}': expected initialState of ${sizes.length} array(s) shaped ${sizes.map((n) => `[${batch}, ${n}]`).join(", ")}, ` +
          `received ${states.map((st) => `[${st.shape}]`).join(", ")}.`,
      );
    }
    states = states.map((st) => st.astype(x.dtype));
    if (mask && (mask.ndim !== 2 || mask.shape[0] !== batch || mask.shape[1] !== time)) {
      throw new RangeError(`${this.className} '${this.name}': expected a mask of shape [${batch}, ${time}], received [${mask.shape}].`);
    }
    const cell = this.cell;
    const masks = cell.dropoutMasks?.(ctx, [batch, ...x.shape.slice(2)], x.dtype) ?? { input: null, recurrent: null };
    const cellStep = (xt: Tracer, st: Tracer[]): [Tracer, Tracer[]] => {
      const [y, ns] = cell.step ? cell.step(xt, st, masks) : (cell.call([xt, st], ctx) as [Tracer, Tracer | Tracer[]]);
      return [y, Array.isArray(ns) ? ns : [ns]];
    };
    let xs = np.moveaxis(x, 1, 0);
    let ms = mask ? np.moveaxis(mask.astype("bool"), 1, 0).reshape([time, batch, 1]) : null;
    if (this.goBackwards) {
      xs = np.flip(xs, { axis: 0 });
      if (ms) ms = np.flip(ms, { axis: 0 });
    }
    const outSize = cell.outputSize ?? sizes[0];
    const keepAll = this.returnSequences;
    // carry: [states, last output]; the last output is carried only when the sequence is not returned.
    const body = ([st, last]: [Tracer[], Tracer], [xt, mt]: [Tracer, Tracer | null]): [[Tracer[], Tracer], Tracer | null] => {
      let [y, ns] = cellStep(xt, st);
      if (mt) {
        y = np.where(mt, y, this.zeroOutputForMask ? np.zerosLike(y) : st[0]);
        ns = ns.map((n, i) => np.where(mt, n, st[i]));
      }
      return [[ns, keepAll ? last : y], keepAll ? y : null];
    };
    const init: [Tracer[], Tracer] = [states, np.zeros([batch, outSize], { dtype: x.dtype })];
    let finalStates: Tracer[];
    let last: Tracer;
    let ys: Tracer | null;
    if (this.unroll) {
      let carry = init;
      const outs: Tracer[] = [];
      for (let t = 0; t < time; t++) {
        const [c, y] = body(carry, [stepAt(xs, t), ms ? stepAt(ms, t) : null]);
        carry = c;
        if (y) outs.push(y);
      }
      [finalStates, last] = carry;
      ys = keepAll ? np.stack(outs, 0) : null;
    } else {
      [[finalStates, last], ys] = lax.scan(body, init, [xs, ms], { length: time });
    }
    const output = keepAll ? np.moveaxis(ys!, 0, 1) : last;
    return this.returnState ? [output, ...finalStates] : output;
  }

  /** The RNN options of the config (shared by SimpleRNN, LSTM and GRU). */
  protected rnnConfig(): LayerConfig {
    return {
      ...super.getConfig(), returnSequences: this.returnSequences, returnState: this.returnState, goBackwards: this.goBackwards,
      stateful: false, unroll: this.unroll, zeroOutputForMask: this.zeroOutputForMask,
    };
  }

  override getConfig(): LayerConfig {
    return { ...this.rnnConfig(), cell: { className: this.cell.className, config: this.cell.getConfig() } };
  }

  /** Rebuilds from a config; `custom` maps class names of user-defined cells to their classes. */
  static fromConfig(c: LayerConfig, custom: Record<string, LayerClass> = {}): RNN {
    const { cell, ...rest } = c as { cell: { className: string; config: LayerConfig } };
    return new RNN(deserializeLayer(cell, custom) as CellLike, rest as RNNOptions);
  }
}

/** Cell options taken from a layer's options (the layer's own name, shapes and regularizers stay with it). */
function cellOptions<T extends RNNCellOptions>(o: T, name: string): T {
  const { inputShape: _s, batchSize: _b, activityRegularizer: _a, returnSequences: _r, returnState: _rs, goBackwards: _g, stateful: _st, unroll: _u, zeroOutputForMask: _z, ...rest } =
    o as T & RNNOptions;
  return { ...rest, name } as T;
}

/** A recurrent layer of one built-in cell, whose config is flat (cell options beside the RNN's). */
abstract class CellRNN<C extends RNNCell> extends RNN {
  declare readonly cell: C;
  get units(): number {
    return this.cell.units;
  }
  override getConfig(): LayerConfig {
    const { name: _n, trainable: _t, dtype: _d, ...cellConfig } = this.cell.getConfig();
    return { ...this.rnnConfig(), ...cellConfig };
  }
}

export type SimpleRNNOptions = RNNCellOptions & RNNOptions;
export type LSTMOptions = LSTMCellOptions & RNNOptions;
export type GRUOptions = GRUCellOptions & RNNOptions;

/**
 * Fully connected RNN whose output is fed back as the next input state.
 *
 * @example new layers.SimpleRNN(16, { returnSequences: true })
 */
export class SimpleRNN extends CellRNN<SimpleRNNCell> {
  constructor(units: number, options: SimpleRNNOptions = {}) {
    super(new SimpleRNNCell(units, cellOptions(options, "simple_rnn_cell")), options);
  }
  static override fromConfig(c: LayerConfig): SimpleRNN {
    return new SimpleRNN(c.units as number, c as SimpleRNNOptions);
  }
}

/**
 * Long short-term memory layer (Hochreiter 1997); weights `lstm/lstm_cell/{kernel, recurrent_kernel, bias}`.
 *
 * @example new layers.LSTM(32, { returnState: true }).apply(x) // [output, h, c]
 */
export class LSTM extends CellRNN<LSTMCell> {
  constructor(units: number, options: LSTMOptions = {}) {
    super(new LSTMCell(units, cellOptions(options, "lstm_cell")), options);
  }
  static override fromConfig(c: LayerConfig): LSTM {
    return new LSTM(c.units as number, c as LSTMOptions);
  }
}

/**
 * Gated recurrent unit layer (Cho et al. 2014), `resetAfter: true` by default (bias `[2, 3*units]`).
 *
 * @example new layers.GRU(32, { returnSequences: true })
 */
export class GRU extends CellRNN<GRUCell> {
  constructor(units: number, options: GRUOptions = {}) {
    super(new GRUCell(units, cellOptions(options, "gru_cell")), options);
  }
  static override fromConfig(c: LayerConfig): GRU {
    return new GRU(c.units as number, c as GRUOptions);
  }
}

export type MergeMode = "concat" | "sum" | "mul" | "ave" | null;

export interface BidirectionalOptions extends LayerOptions {
  /** How the two directions' outputs combine (default `"concat"`); `null` returns both. */
  readonly mergeMode?: MergeMode;
  /** The layer for the backward direction (default: a copy of `layer` with `goBackwards: true`). */
  readonly backwardLayer?: RNN;
}

const MERGE_MODES = ["concat", "sum", "mul", "ave", null];
const withoutPrefix = (s: string, p: string) => (s.startsWith(p) ? s.slice(p.length) : s);

/** A fresh copy of an RNN layer from its config (a user-defined cell class is carried along). */
function cloneRNN(layer: RNN, overrides: LayerConfig): RNN {
  const custom: Record<string, LayerClass> = { [layer.cell.className]: layer.cell.constructor as unknown as LayerClass };
  return (layer.constructor as unknown as LayerClass).fromConfig({ ...layer.getConfig(), ...overrides }, custom) as RNN;
}

/**
 * Runs a recurrent layer forwards and backwards over the sequence and merges the two outputs.
 * The wrapped layer is copied (fresh weights): `bidirectional/forward_lstm/lstm_cell/kernel`.
 * With `{ sequences, initialState }` inputs, the first half of the states goes forwards.
 *
 * @example new layers.Bidirectional(new layers.LSTM(16, { returnSequences: true })) // (b, t, 32)
 */
export class Bidirectional extends Layer {
  readonly forwardLayer: RNN;
  readonly backwardLayer: RNN;
  readonly mergeMode: MergeMode;

  constructor(layer: RNN, readonly options: BidirectionalOptions = {}) {
    super(options);
    if (!(layer instanceof RNN)) {
      throw new TypeError(`Bidirectional: layer must be a recurrent layer (RNN, LSTM, GRU, SimpleRNN), received ${String(layer)}.`);
    }
    const mode = options.mergeMode === undefined ? "concat" : options.mergeMode;
    if (!MERGE_MODES.includes(mode)) {
      throw new RangeError(`Bidirectional: mergeMode must be one of "concat", "sum", "mul", "ave" or null, received ${JSON.stringify(mode)}.`);
    }
    this.mergeMode = mode;
    this.forwardLayer = cloneRNN(layer, { name: `forward_${withoutPrefix(layer.name, "forward_")}` });
    const back = options.backwardLayer;
    this.backwardLayer = back ?? cloneRNN(layer, { name: `backward_${withoutPrefix(layer.name, "backward_")}`, goBackwards: true });
    const f = this.forwardLayer;
    const b = this.backwardLayer;
    if (f.goBackwards === b.goBackwards) {
      throw new RangeError(`Bidirectional: the forward and backward layers must differ in goBackwards, both have ${f.goBackwards}.`);
    }
    for (const a of ["returnSequences", "returnState"] as const) {
      if (f[a] !== b[a]) throw new RangeError(`Bidirectional: the forward and backward layers must agree on ${a}, received ${f[a]} and ${b[a]}.`);
    }
    f.zeroOutputForMask = f.returnSequences;
    b.zeroOutputForMask = b.returnSequences;
  }

  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }

  get returnState(): boolean {
    return this.forwardLayer.returnState;
  }

  override build(shape: any): void {
    buildSublayer(this.forwardLayer, shape);
    buildSublayer(this.backwardLayer, shape);
  }

  call(inputs: Tracer | RNNInputs): Tracer | (Tracer | Tracer[])[] {
    let fIn: Tracer | RNNInputs = inputs;
    let bIn: Tracer | RNNInputs = inputs;
    if (inputs && typeof inputs === "object" && "sequences" in inputs && inputs.initialState) {
      const s = Array.isArray(inputs.initialState) ? inputs.initialState : [inputs.initialState as Tracer];
      const half = s.length / 2;
      fIn = { ...inputs, initialState: s.slice(0, half) };
      bIn = { ...inputs, initialState: s.slice(half) };
    }
    let y = this.forwardLayer.apply(fIn);
    let yRev = this.backwardLayer.apply(bIn);
    let states: Tracer[] = [];
    if (this.returnState) {
      states = [...y.slice(1), ...yRev.slice(1)];
      y = y[0];
      yRev = yRev[0];
    }
    if (this.returnSequences) yRev = np.flip(yRev, { axis: 1 });
    const m = this.mergeMode;
    const out = m === "concat" ? np.concatenate([y, yRev], -1) : m === "sum" ? y.add(yRev) : m === "ave" ? y.add(yRev).div(2) : m === "mul" ? y.mul(yRev) : null;
    if (out === null) return this.returnState ? [y, yRev, ...states] : [y, yRev];
    return this.returnState ? [out, ...states] : out;
  }

  override getConfig(): LayerConfig {
    const ser = (l: Layer) => ({ className: l.className, config: l.getConfig() });
    return { ...super.getConfig(), mergeMode: this.mergeMode, layer: ser(this.forwardLayer), backwardLayer: ser(this.backwardLayer) };
  }

  static fromConfig(c: LayerConfig, custom: Record<string, LayerClass> = {}): Bidirectional {
    const { layer, backwardLayer, ...rest } = c as { layer: { className: string; config: LayerConfig }; backwardLayer?: { className: string; config: LayerConfig } };
    return new Bidirectional(deserializeLayer(layer, custom) as RNN, {
      ...(rest as BidirectionalOptions), backwardLayer: backwardLayer ? (deserializeLayer(backwardLayer, custom) as RNN) : undefined,
    });
  }
}

/**
 * Applies a layer to every time step: folds `(batch, time, ...)` into `(batch * time, ...)`,
 * calls the layer once, and unfolds its output.
 *
 * @example new layers.TimeDistributed(new layers.Dense(8)).apply(np.ones([2, 5, 3])).shape // [2, 5, 8]
 */
export class TimeDistributed extends Layer {
  constructor(readonly layer: Layer, opts: LayerOptions = {}) {
    super(opts);
    if (!(layer instanceof Layer)) throw new TypeError(`TimeDistributed: layer must be a Layer, received ${String(layer)}.`);
  }

  override build(shape: Shape): void {
    if (!Array.isArray(shape) || shape.length < 3) {
      throw new RangeError(`TimeDistributed '${this.name}': expected inputs of rank >= 3 (batch, time, ...), received shape [${shape}].`);
    }
    buildSublayer(this.layer, [shape[0], ...shape.slice(2)]);
  }

  call(x: Tracer): Tracer {
    if (x.ndim < 3) {
      throw new RangeError(`TimeDistributed '${this.name}': expected inputs of rank >= 3 (batch, time, ...), received shape [${x.shape}].`);
    }
    const [b, t] = x.shape;
    const y = this.layer.apply(x.reshape([b * t, ...x.shape.slice(2)]));
    if (!(y && typeof y === "object" && "shape" in y && !Array.isArray(y))) {
      throw new TypeError(`TimeDistributed '${this.name}': the wrapped layer must return one Array.`);
    }
    return (y as Tracer).reshape([b, t, ...(y as Tracer).shape.slice(1)]);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), layer: { className: this.layer.className, config: this.layer.getConfig() } };
  }

  static fromConfig(c: LayerConfig, custom: Record<string, LayerClass> = {}): TimeDistributed {
    return new TimeDistributed(deserializeLayer(c.layer as { className: string; config: LayerConfig }, custom), c);
  }
}

/** Classes that nested configs (cells, wrapped layers) may name without `custom`. */
const BUILTIN: Record<string, LayerClass> = {
  SimpleRNNCell, LSTMCell, GRUCell, RNN, SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed,
  Dense: core.Dense, Activation: core.Activation, Dropout: core.Dropout, Flatten: core.Flatten, Reshape: core.Reshape,
  Permute: core.Permute, RepeatVector: core.RepeatVector, Identity: core.Identity,
};

/**
 * Rebuilds a layer from `{ className, config }` (built-in recurrent and core classes, or `custom`).
 * A Layer is returned as is: loading a saved model revives nested records through the registry
 * (any registered class, bounded initializers) before `fromConfig` sees them.
 */
export function deserializeLayer(rec: { className: string; config: LayerConfig } | Layer, custom: Record<string, LayerClass> = {}): Layer {
  if (rec instanceof Layer) return rec;
  const cls = custom[rec?.className] ?? BUILTIN[rec?.className];
  if (!cls) {
    throw new TypeError(
      `Unknown layer class ${JSON.stringify(rec?.className)} in a nested config. Pass it in custom: { ${rec?.className}: ThatClass }.`,
    );
  }
  return cls.fromConfig(rec.config, custom);
}

