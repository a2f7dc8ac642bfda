/**
 * @file 1-D discrete convolution and cross-correlation (`np.convolve`, `np.correlate`), built on
 * the `conv_general_dilated` primitive the way `jax.numpy` does, so they trace and differentiate.
 */
import { ShapeError, shapeStr } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import { convGeneralDilated } from "./lax-conv.js";
import * as lax from "./lax-core.js";
import { type ArrayInput, promoteArgsInexact } from "./util.js";

export type ConvolveMode = "full" | "same" | "valid";

/**
 * Shared body of convolve / correlate (jax.numpy `_conv`): the longer input slides under the
 * shorter one; convolution flips the kernel, and correlation with a longer `v` swaps the inputs
 * and reverses the output, which is the time-reversed result NumPy documents.
 */
function conv1d(op: "convolve" | "correlate", a: ArrayInput, v: ArrayInput, mode: ConvolveMode): Tracer {
  const name = `np.${op}`;
  let [x, y] = promoteArgsInexact(name, a, v);
  if (x.ndim !== 1 || y.ndim !== 1) {
    throw new ShapeError(`${name}: expected two 1-D arrays, received shapes ${shapeStr(x.shape)} and ${shapeStr(y.shape)}; use lax.convGeneralDilated for N-D inputs.`);
  }
  if (x.size === 0 || y.size === 0) {
    throw new ShapeError(`${name}: inputs cannot be empty, received shapes ${shapeStr(x.shape)} and ${shapeStr(y.shape)}.`);
  }
  let reverseOut = false;
  if (x.size < y.size) {
    [x, y] = [y, x];
    reverseOut = op === "correlate";
  }
  if (op === "convolve") y = lax.rev(y, [0]);
  const k = y.size;
  let pad: [number, number];
  switch (mode) {
    case "valid":
      pad = [0, 0];
      break;
    case "same":
      pad = [Math.floor(k / 2), k - Math.floor(k / 2) - 1];
      break;
    case "full":
      pad = [k - 1, k - 1];
      break;
    default:
      throw new RangeError(`${name}: mode must be "full", "same" or "valid", received ${JSON.stringify(mode)}.`);
  }
  const out = convGeneralDilated(lax.reshape(x, [1, 1, x.size]), lax.reshape(y, [1, 1, k]), [1], [pad]);
  const flat = lax.reshape(out, [out.size]);
  return reverseOut ? lax.rev(flat, [0]) : flat;
}

/**
 * Discrete linear convolution of two 1-D arrays: `out[n] = sum_m a[m] * v[n - m]`.
 * `mode` "full" (default) returns all `len(a) + len(v) - 1` overlaps, "same" the
 * `max(len(a), len(v))` central ones, "valid" only full overlaps. Integers promote to float.
 *
 * @example np.convolve([1, 2, 3], [0, 1, 0.5]) // [0, 1, 2.5, 4, 1.5]
 */
export function convolve(a: ArrayInput, v: ArrayInput, opts: { mode?: ConvolveMode } = {}): Tracer {
  return conv1d("convolve", a, v, opts.mode ?? "full");
}

/**
 * Cross-correlation of two 1-D arrays: `out[k] = sum_n a[n + k] * v[n]`. `mode` defaults to
 * "valid" as in NumPy; "same" and "full" pad as in `np.convolve`.
 *
 * @example np.correlate([1, 2, 3], [0, 1, 0.5]) // [3.5]
 */
export function correlate(a: ArrayInput, v: ArrayInput, opts: { mode?: ConvolveMode } = {}): Tracer {
  return conv1d("correlate", a, v, opts.mode ?? "valid");
}
