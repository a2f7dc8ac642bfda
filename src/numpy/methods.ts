/**
 * @file Array methods that mirror `np` (`x.add(y)`, `x.sum({axis: 0})`, `x.reshape([2, 3])`),
 * installed on Tracer so they work on concrete Arrays and inside every transformation.
 */
import type { DType } from "../ir/index.js";
import { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import * as m from "./math.js";
import * as r from "./reductions.js";
import * as s from "./shape-ops.js";
import * as l from "./linalg-core.js";
import type { ArrayInput } from "./util.js";

type A = ArrayInput;

declare module "../trace/core.js" {
  interface Tracer {
    add(y: A): Tracer;
    sub(y: A): Tracer;
    mul(y: A): Tracer;
    div(y: A): Tracer;
    pow(y: A): Tracer;
    mod(y: A): Tracer;
    floorDiv(y: A): Tracer;
    maximum(y: A): Tracer;
    minimum(y: A): Tracer;
    neg(): Tracer;
    abs(): Tracer;
    sign(): Tracer;
    square(): Tracer;
    sqrt(): Tracer;
    exp(): Tracer;
    log(): Tracer;
    sin(): Tracer;
    cos(): Tracer;
    tanh(): Tracer;
    floor(): Tracer;
    ceil(): Tracer;
    round(decimals?: number): Tracer;
    clip(min: A | null, max: A | null): Tracer;
    equal(y: A): Tracer;
    notEqual(y: A): Tracer;
    less(y: A): Tracer;
    lessEqual(y: A): Tracer;
    greater(y: A): Tracer;
    greaterEqual(y: A): Tracer;
    logicalNot(): Tracer;
    sum(opts?: r.SumOpts): Tracer;
    prod(opts?: r.SumOpts): Tracer;
    mean(opts?: r.SumOpts): Tracer;
    max(opts?: r.ReduceOpts): Tracer;
    min(opts?: r.ReduceOpts): Tracer;
    var(opts?: r.SumOpts & { ddof?: number }): Tracer;
    std(opts?: r.SumOpts & { ddof?: number }): Tracer;
    argmax(opts?: { axis?: number | null; keepdims?: boolean }): Tracer;
    argmin(opts?: { axis?: number | null; keepdims?: boolean }): Tracer;
    all(opts?: r.ReduceOpts): Tracer;
    any(opts?: r.ReduceOpts): Tracer;
    reshape(shape: readonly number[] | number): Tracer;
    transpose(axes?: readonly number[]): Tracer;
    /** Matrix transpose of the whole array (reversed axes), like NumPy's `.T`. */
    readonly T: Tracer;
    /** Swaps the last two axes. */
    readonly mT: Tracer;
    expandDims(axis: number | readonly number[]): Tracer;
    squeeze(axis?: number | readonly number[] | null): Tracer;
    ravel(): Tracer;
    flatten(): Tracer;
    broadcastTo(shape: readonly number[]): Tracer;
    matmul(y: A): Tracer;
    dot(y: A): Tracer;
    astype(dtype: DType): Tracer;
  }
}

const P = Tracer.prototype;
P.add = function (y) { return m.add(this, y); };
P.sub = function (y) { return m.subtract(this, y); };
P.mul = function (y) { return m.multiply(this, y); };
P.div = function (y) { return m.divide(this, y); };
P.pow = function (y) { return m.power(this, y); };
P.mod = function (y) { return m.remainder(this, y); };
P.floorDiv = function (y) { return m.floorDivide(this, y); };
P.maximum = function (y) { return m.maximum(this, y); };
P.minimum = function (y) { return m.minimum(this, y); };
P.neg = function () { return m.negative(this); };
P.abs = function () { return m.abs(this); };
P.sign = function () { return m.sign(this); };
P.square = function () { return m.square(this); };
P.sqrt = function () { return m.sqrt(this); };
P.exp = function () { return m.exp(this); };
P.log = function () { return m.log(this); };
P.sin = function () { return m.sin(this); };
P.cos = function () { return m.cos(this); };
P.tanh = function () { return m.tanh(this); };
P.floor = function () { return m.floor(this); };
P.ceil = function () { return m.ceil(this); };
P.round = function (d) { return m.round(this, d); };
P.clip = function (lo, hi) { return m.clip(this, lo, hi); };
P.equal = function (y) { return m.equal(this, y); };
P.notEqual = function (y) { return m.notEqual(this, y); };
P.less = function (y) { return m.less(this, y); };
P.lessEqual = function (y) { return m.lessEqual(this, y); };
P.greater = function (y) { return m.greater(this, y); };
P.greaterEqual = function (y) { return m.greaterEqual(this, y); };
P.logicalNot = function () { return m.logicalNot(this); };
P.sum = function (o) { return r.sum(this, o); };
P.prod = function (o) { return r.prod(this, o); };
P.mean = function (o) { return r.mean(this, o); };
P.max = function (o) { return r.max(this, o); };
P.min = function (o) { return r.min(this, o); };
P.var = function (o) { return r.variance(this, o); };
P.std = function (o) { return r.std(this, o); };
P.argmax = function (o) { return r.argmax(this, o); };
P.argmin = function (o) { return r.argmin(this, o); };
P.all = function (o) { return r.all(this, o); };
P.any = function (o) { return r.any(this, o); };
P.reshape = function (sh) { return s.reshape(this, sh); };
P.transpose = function (ax) { return s.transpose(this, ax); };
Object.defineProperty(P, "T", { get(this: Tracer) { return s.transpose(this); } });
Object.defineProperty(P, "mT", { get(this: Tracer) { return s.matrixTranspose(this); } });
P.expandDims = function (ax) { return s.expandDims(this, ax); };
P.squeeze = function (ax) { return s.squeeze(this, ax); };
P.ravel = function () { return s.ravel(this); };
P.flatten = function () { return s.ravel(this); };
P.broadcastTo = function (sh) { return s.broadcastTo(this, sh); };
P.matmul = function (y) { return l.matmul(this, y); };
P.dot = function (y) { return l.dot(this, y); };
P.astype = function (d) { return d === this.dtype && !this.weakType ? this : lax.convertElementType(this, d); };
