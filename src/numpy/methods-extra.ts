/**
 * @file Array methods for the manipulation, cumulative and statistics functions (`x.cumsum()`,
 * `x.repeat(2)`, `x.swapaxes(0, 1)`, `x.ptp()`), installed on Tracer like those in methods.ts.
 */
import { Tracer } from "../trace/core.js";
import * as c from "./calculus.js";
import * as mp from "./manipulation.js";
import type { ReduceOpts } from "./reductions.js";
import * as st from "./statistics.js";

declare module "../trace/core.js" {
  interface Tracer {
    /** Cumulative sum; flattens when no axis is given, like NumPy. */
    cumsum(opts?: c.CumOpts): Tracer;
    cumprod(opts?: c.CumOpts): Tracer;
    repeat(repeats: number | readonly number[], opts?: { axis?: number | null }): Tracer;
    flip(opts?: { axis?: number | readonly number[] | null }): Tracer;
    roll(shift: number | readonly number[], opts?: { axis?: number | readonly number[] | null }): Tracer;
    swapaxes(axis1: number, axis2: number): Tracer;
    /** max - min along `axis`. */
    ptp(opts?: ReduceOpts): Tracer;
  }
}

const P = Tracer.prototype;
P.cumsum = function (o) { return c.cumsum(this, o); };
P.cumprod = function (o) { return c.cumprod(this, o); };
P.repeat = function (r, o) { return mp.repeat(this, r, o); };
P.flip = function (o) { return mp.flip(this, o); };
P.roll = function (s, o) { return mp.roll(this, s, o); };
P.swapaxes = function (a, b) { return mp.swapaxes(this, a, b); };
P.ptp = function (o) { return st.ptp(this, o); };
