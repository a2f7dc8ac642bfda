/**
 * @file Attention layers (Keras 3): MultiHeadAttention with its query / key / value /
 * attention_output projections as sublayers (weights `multi_head_attention/query/kernel`, ...),
 * and the single-head Attention (Luong dot or concat scores) and AdditiveAttention (Bahdanau).
 *
 * Call inputs: `[query, value]`, `[query, value, key]`, or a dictionary
 * `{ query, value, key?, attentionMask?, queryMask?, valueMask?, keyMask? }` (Kiln's form of
 * Keras' call arguments). `returnAttentionScores` and `useCausalMask`, call arguments in Keras,
 * are constructor options here, so that every call input is an Array.
 */
import { np, random, type Tracer } from "../../index.js";
import type { CallContext } from "../call-context.js";
import { softmax } from "../functions.js";
import { Layer, type LayerConfig, type LayerOptions } from "../layer.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { type KernelBiasOptions, kernelBiasConfig } from "./config-util.js";
import { buildSublayer } from "./rnn.js";

/** The dictionary form of the attention layers' inputs. */
export interface AttentionInputs {
  readonly query: Tracer;
  readonly value: Tracer;
  /** Defaults to `value`. */
  readonly key?: Tracer | null;
  /** Booleans broadcastable to `(batch, ...target, ...source)`: true where a query may attend. */
  readonly attentionMask?: Tracer | null;
  readonly queryMask?: Tracer | null;
  readonly valueMask?: Tracer | null;
  readonly keyMask?: Tracer | null;
}

/** Normalizes the list and dictionary input forms (works on Arrays and on shapes). */
function unpack<T>(cls: string, inputs: any): { query: T; value: T; key: T; rest: Partial<Record<string, T | null>> } {
  if (Array.isArray(inputs) && (inputs.length === 2 || inputs.length === 3) && typeof inputs[0] === "object" && inputs[0] !== null) {
    return { query: inputs[0], value: inputs[1], key: inputs[2] ?? inputs[1], rest: {} };
  }
  if (inputs && typeof inputs === "object" && !Array.isArray(inputs) && "query" in inputs && "value" in inputs) {
    const { query, value, key, ...rest } = inputs;
    return { query, value, key: key ?? value, rest };
  }
  throw new TypeError(`${cls}: expected inputs [query, value], [query, value, key] or { query, value, key?, ...masks }.`);
}

const LARGE_NEGATIVE = -1e9;

function dropoutOn(x: Tracer, r: number, ctx: CallContext): Tracer {
  if (!ctx.training || r === 0) return x;
  return np.where(random.bernoulli(ctx.nextKey(), 1 - r, [...x.shape]), x.div(1 - r), np.zerosLike(x));
}

export interface ProjectionOptions extends LayerOptions, KernelBiasOptions {
}

/**
 * The einsum-style dense layer of MultiHeadAttention: contracts the last `contract` input axes
 * with a kernel `[...contracted, ...outputShape]` (Keras' EinsumDense `abc,cde->abde` and
 * `abcd,cde->abe`), plus a bias of `outputShape`.
 *
 * @example new MultiHeadProjection(1, [4, 8]).apply(np.ones([2, 5, 16])).shape // [2, 5, 4, 8]
 */
export class MultiHeadProjection extends Layer {
  kernel!: Variable;
  bias: Variable | null = null;

  constructor(readonly contract: number, readonly outputShape: readonly number[], readonly options: ProjectionOptions = {}) {
    super(options);
  }

  override build(shape: Shape): void {
    const inDims = shape.slice(-this.contract);
    if (inDims.length !== this.contract || inDims.some((d) => d === null)) {
      throw new RangeError(`MultiHeadProjection '${this.name}': the last ${this.contract} input dimension(s) must be known, received shape [${shape}].`);
    }
    const o = this.options;
    this.kernel = this.addWeight("kernel", [...(inDims as number[]), ...this.outputShape], {
      initializer: o.kernelInitializer ?? "glorot_uniform", regularizer: o.kernelRegularizer, constraint: o.kernelConstraint,
    });
    if (o.useBias ?? true) {
      this.bias = this.addWeight("bias", [...this.outputShape], {
        initializer: o.biasInitializer ?? "zeros", regularizer: o.biasRegularizer, constraint: o.biasConstraint,
      });
    }
  }

  call(x: Tracer): Tracer {
    const lead = x.shape.slice(0, x.ndim - this.contract);
    const k = this.kernel.value;
    const inSize = x.shape.slice(-this.contract).reduce((a, b) => a * b, 1);
    const outSize = this.outputShape.reduce((a, b) => a * b, 1);
    let y = np.matmul(x.reshape([...lead, inSize]), k.reshape([inSize, outSize])).reshape([...lead, ...this.outputShape]);
    if (this.bias) y = y.add(this.bias.value);
    return y;
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), contract: this.contract, outputShape: [...this.outputShape], useBias: this.options.useBias ?? true };
  }

  static fromConfig(c: LayerConfig): MultiHeadProjection {
    return new MultiHeadProjection(c.contract as number, c.outputShape as number[], c as ProjectionOptions);
  }
}

export interface MultiHeadAttentionOptions extends ProjectionOptions {
  /** Size of each head for the value (default `keyDim`). */
  readonly valueDim?: number | null;
  /** Dropout rate on the attention probabilities. */
  readonly dropout?: number;
  /** Last dimensions of the output (default: the query's last dimension). */
  readonly outputShape?: number | readonly number[] | null;
  /** Axes of the input (not batch, not features) attention runs over; default all of them. */
  readonly attentionAxes?: number | readonly number[] | null;
  readonly seed?: number | null;
  /** Return `[output, scores]`, scores `(batch, heads, target, source)` (Keras call argument). */
  readonly returnAttentionScores?: boolean;
  /** Mask future positions (a query at t sees source positions <= t) (Keras call argument). */
  readonly useCausalMask?: boolean;
}

/** Einsum equations of attention over `axes` of a projected rank-`rank` tensor (heads at rank-2). */
function attentionEquations(rank: number, axes: readonly number[]): { dot: string; combine: string; scoresRank: number } {
  const letter = (i: number) => String.fromCharCode(97 + i);
  const idx = [...Array(rank).keys()];
  const target = idx.map(letter);
  const batchDims = idx.filter((i) => !axes.includes(i) && i !== rank - 1);
  let next = rank;
  const source = idx.map((i) => (batchDims.includes(i) || i === rank - 1 ? target[i] : letter(next++)));
  const product = [...batchDims.map((i) => target[i]), ...axes.map((i) => target[i]), ...axes.map((i) => source[i])].join("");
  const [s, t] = [source.join(""), target.join("")];
  return { dot: `${s},${t}->${product}`, combine: `${product},${s}->${t}`, scoresRank: product.length };
}

/**
 * Multi-head (scaled dot-product) attention, "Attention Is All You Need". Query, key and value
 * are projected to `numHeads` heads of `keyDim` (`valueDim`) features, attended, and projected back.
 *
 * @example
 *   const mha = new layers.MultiHeadAttention(2, 8);
 *   mha.apply([q, v]).shape // q.shape
 */
export class MultiHeadAttention extends Layer {
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  // Declared here so that the projections are tracked (and their weights ordered) like Keras'.
  queryDense: MultiHeadProjection | null = null;
  keyDense: MultiHeadProjection | null = null;
  valueDense: MultiHeadProjection | null = null;
  outputDense: MultiHeadProjection | null = null;

  constructor(numHeads: number, keyDim: number, readonly options: MultiHeadAttentionOptions = {}) {
    super(options);
    const pos = (what: string, n: unknown) => {
      if (!Number.isInteger(n) || (n as number) <= 0) throw new RangeError(`MultiHeadAttention: ${what} must be a positive integer, received ${JSON.stringify(n)}.`);
      return n as number;
    };
    this.numHeads = pos("numHeads", numHeads);
    this.keyDim = pos("keyDim", keyDim);
    this.valueDim = pos("valueDim", options.valueDim ?? keyDim);
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new RangeError(`MultiHeadAttention: dropout must be in [0, 1), received ${this.dropout}.`);
  }

  #projOptions(name: string): ProjectionOptions {
    const o = this.options;
    return {
      name, useBias: o.useBias, kernelInitializer: o.kernelInitializer, biasInitializer: o.biasInitializer, kernelRegularizer: o.kernelRegularizer,
      biasRegularizer: o.biasRegularizer, kernelConstraint: o.kernelConstraint, biasConstraint: o.biasConstraint, dtype: this.dtype,
    };
  }

  /** Attention axes of the projected query (rank + 1 dims: batch, ..., heads, features). */
  #axes(inputRank: number): number[] {
    const a = this.options.attentionAxes;
    if (a === null || a === undefined) return [...Array(inputRank - 2).keys()].map((i) => i + 1);
    const axes = (typeof a === "number" ? [a] : [...a]).map((x) => (x < 0 ? x + inputRank : x));
    if (axes.some((x) => !Number.isInteger(x) || x < 1 || x > inputRank - 2)) {
      throw new RangeError(`MultiHeadAttention '${this.name}': attentionAxes must name axes 1..${inputRank - 2} of rank-${inputRank} inputs, received ${JSON.stringify(a)}.`);
    }
    return axes;
  }

  override build(shapes: any): void {
    const { query, value, key } = unpack<Shape>("MultiHeadAttention", shapes);
    const h = this.numHeads;
    this.queryDense = new MultiHeadProjection(1, [h, this.keyDim], this.#projOptions("query"));
    this.keyDense = new MultiHeadProjection(1, [h, this.keyDim], this.#projOptions("key"));
    this.valueDense = new MultiHeadProjection(1, [h, this.valueDim], this.#projOptions("value"));
    const os = this.options.outputShape;
    const out = os === null || os === undefined ? [query.at(-1) as number] : typeof os === "number" ? [os] : [...os];
    this.outputDense = new MultiHeadProjection(2, out, this.#projOptions("attention_output"));
    buildSublayer(this.queryDense, query);
    buildSublayer(this.keyDense, key);
    buildSublayer(this.valueDense, value);
    buildSublayer(this.outputDense, [...query.slice(0, -1), h, this.valueDim]);
  }

  call(inputs: [Tracer, Tracer] | [Tracer, Tracer, Tracer] | AttentionInputs, ctx: CallContext): Tracer | [Tracer, Tracer] {
    const { query, value, key, rest } = unpack<Tracer>("MultiHeadAttention", inputs);
    if (query.ndim < 3 || value.ndim !== query.ndim || key.ndim !== query.ndim) {
      throw new RangeError(
        `MultiHeadAttention '${this.name}': query, value and key must have the same rank >= 3, received [${query.shape}], [${value.shape}], [${key.shape}].`,
      );
    }
    const q = this.queryDense!.apply(query).mul(1 / Math.sqrt(this.keyDim));
    const k = this.keyDense!.apply(key);
    const v = this.valueDense!.apply(value);
    const axes = this.#axes(query.ndim);
    const { dot, combine, scoresRank } = attentionEquations(q.ndim, axes);
    let scores = np.einsum(dot, k, q);
    const mask = this.#mask(query, value, rest);
    if (mask) {
      let m = mask;
      while (m.ndim < scoresRank) m = np.expandDims(m, -axes.length * 2 - 1); // (batch, target, source) -> (batch, 1, target, source)
      scores = scores.add(np.where(m, 0, LARGE_NEGATIVE));
    }
    const normAxes = [...Array(axes.length).keys()].map((i) => scoresRank - axes.length + i);
    const probs = softmax(scores, { axis: normAxes });
    const attended = np.einsum(combine, dropoutOn(probs, this.dropout, ctx), v);
    const out = this.outputDense!.apply(attended);
    return this.options.returnAttentionScores ? [out, probs] : out;
  }

  /** The boolean mask `(batch, ...target, ...source)` from the given masks and the causal option. */
  #mask(query: Tracer, value: Tracer, m: Partial<Record<string, Tracer | null>>): Tracer | null {
    let auto: Tracer | null = null;
    const and = (a: Tracer | null, b: Tracer) => (a ? np.logicalAnd(a, b) : b.astype("bool"));
    const rank3 = query.ndim === 3;
    if ((m.queryMask || m.valueMask || m.keyMask || this.options.useCausalMask) && !rank3) {
      throw new RangeError(`MultiHeadAttention '${this.name}': queryMask/valueMask/keyMask and useCausalMask need rank-3 inputs; use attentionMask.`);
    }
    if (m.queryMask) auto = and(auto, np.expandDims(m.queryMask, -1));
    if (m.valueMask) auto = and(auto, np.expandDims(m.valueMask, 1));
    if (m.keyMask) auto = and(auto, np.expandDims(m.keyMask, 1));
    if (this.options.useCausalMask) {
      auto = and(auto, np.tril(np.ones([query.shape[1], value.shape[1]])).astype("bool").reshape([1, query.shape[1], value.shape[1]]));
    }
    return m.attentionMask ? and(auto, m.attentionMask) : auto;
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    const os = o.outputShape;
    return {
      ...super.getConfig(), numHeads: this.numHeads, keyDim: this.keyDim, valueDim: this.valueDim, dropout: this.dropout, useBias: o.useBias ?? true,
      outputShape: os === null || os === undefined ? null : typeof os === "number" ? os : [...os],
      attentionAxes: o.attentionAxes === null || o.attentionAxes === undefined ? null : typeof o.attentionAxes === "number" ? [o.attentionAxes] : [...o.attentionAxes],
      ...kernelBiasConfig(o),
      seed: o.seed ?? null, returnAttentionScores: o.returnAttentionScores ?? false, useCausalMask: o.useCausalMask ?? false,
    };
  }

  static fromConfig(c: LayerConfig): MultiHeadAttention {
    return new MultiHeadAttention(c.numHeads as number, c.keyDim as number, c as MultiHeadAttentionOptions);
  }
}

export interface AttentionOptions extends LayerOptions {
  /** Learn a scalar `scale` multiplying the scores (Attention: default false; AdditiveAttention: a vector, default true). */
  readonly useScale?: boolean;
  /** `"dot"` (Luong, default) or `"concat"` (`sum(tanh(q + k))`). */
  readonly scoreMode?: "dot" | "concat";
  /** Dropout rate on the attention weights. */
  readonly dropout?: number;
  readonly seed?: number | null;
  /** Return `[output, weights]` (Keras call argument). */
  readonly returnAttentionScores?: boolean;
  /** A query at t attends only to values at <= t (Keras call argument). */
  readonly useCausalMask?: boolean;
}

/**
 * Dot-product attention (Luong): `softmax(query @ key^T) @ value` over `(batch, Tq, dim)` query and
 * `(batch, Tv, dim)` value/key. `queryMask` zeroes masked query rows; `valueMask` hides values.
 *
 * @example new layers.Attention().apply([query, value]).shape // query.shape
 */
export class Attention extends Layer {
  scale: Variable | null = null;
  concatScoreWeight: Variable | null = null;
  readonly dropout: number;

  constructor(readonly options: AttentionOptions = {}) {
    super(options);
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new RangeError(`${this.className}: dropout must be in [0, 1), received ${this.dropout}.`);
    const mode = options.scoreMode ?? "dot";
    if (mode !== "dot" && mode !== "concat") {
      throw new RangeError(`${this.className}: scoreMode must be "dot" or "concat", received ${JSON.stringify(mode)}.`);
    }
  }

  protected get useScale(): boolean {
    return this.options.useScale ?? false;
  }

  override build(_shapes: any): void {
    if (this.useScale) this.scale = this.addWeight("scale", [], { initializer: "ones" });
    if (this.options.scoreMode === "concat") this.concatScoreWeight = this.addWeight("concat_score_weight", [], { initializer: "ones" });
  }

  /** Scores `(batch, Tq, Tv)`. */
  protected scores(q: Tracer, k: Tracer): Tracer {
    if (this.options.scoreMode === "concat") {
      let s = np.expandDims(q, -2).add(np.expandDims(k, -3));
      if (this.scale) s = s.mul(this.scale.value);
      return np.sum(np.tanh(s), { axis: -1 }).mul(this.concatScoreWeight!.value);
    }
    const s = np.matmul(q, np.swapaxes(k, -1, -2));
    return this.scale ? s.mul(this.scale.value) : s;
  }

  call(inputs: [Tracer, Tracer] | [Tracer, Tracer, Tracer] | AttentionInputs, ctx: CallContext): Tracer | [Tracer, Tracer] {
    const { query, value, key, rest } = unpack<Tracer>(this.className, inputs);
    if (query.ndim !== 3 || value.ndim !== 3 || key.ndim !== 3) {
      throw new RangeError(`${this.className} '${this.name}': expected rank-3 query, value and key, received [${query.shape}], [${value.shape}], [${key.shape}].`);
    }
    let scores = this.scores(query, key);
    let mask: Tracer | null = rest.valueMask ? np.expandDims(rest.valueMask, -2).astype("bool") : null;
    if (this.options.useCausalMask) {
      const causal = np.tril(np.ones([scores.shape[1], scores.shape[2]])).astype("bool").reshape([1, scores.shape[1], scores.shape[2]]);
      mask = mask ? np.logicalAnd(mask, causal) : causal;
    }
    if (mask) scores = scores.sub(np.where(mask, 0, 1e9));
    const weights = dropoutOn(softmax(scores, { axis: -1 }), this.dropout, ctx);
    let out = np.matmul(weights, value);
    if (rest.queryMask) out = out.mul(np.expandDims(rest.queryMask, -1).astype(out.dtype));
    return this.options.returnAttentionScores ? [out, weights] : out;
  }

  override getConfig(): LayerConfig {
    const o = this.options;
    return {
      ...super.getConfig(), useScale: this.useScale, scoreMode: o.scoreMode ?? "dot", dropout: this.dropout, seed: o.seed ?? null,
      returnAttentionScores: o.returnAttentionScores ?? false, useCausalMask: o.useCausalMask ?? false,
    };
  }

  static fromConfig(c: LayerConfig): Attention {
    return new this(c as AttentionOptions);
  }
}

/**
 * Additive attention (Bahdanau): scores `sum(scale * tanh(q + k), -1)` with a learned `scale`
 * vector of the feature size (`useScale`, default true).
 *
 * @example new layers.AdditiveAttention().apply([query, value]).shape // query.shape
 */
export class AdditiveAttention extends Attention {
  constructor(options: Omit<AttentionOptions, "scoreMode"> = {}) {
    super(options);
  }

  protected override get useScale(): boolean {
    return this.options.useScale ?? true;
  }

  override build(shapes: any): void {
    const { query } = unpack<Shape>(this.className, shapes);
    const dim = query.at(-1);
    if (typeof dim !== "number") throw new RangeError(`AdditiveAttention '${this.name}': the query's last dimension must be known, received [${query}].`);
    if (this.useScale) this.scale = this.addWeight("scale", [dim], { initializer: "glorot_uniform" });
  }

  protected override scores(q: Tracer, k: Tracer): Tracer {
    let s = np.tanh(np.expandDims(q, -2).add(np.expandDims(k, -3)));
    if (this.scale) s = s.mul(this.scale.value);
    return np.sum(s, { axis: -1 });
  }

  override getConfig(): LayerConfig {
    const { scoreMode: _s, ...rest } = super.getConfig();
    return rest;
  }
}
