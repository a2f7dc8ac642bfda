/**
 * @file Reference impls of shape-changing primitives: each output element is read from one
 * computed input position, so every impl is "unravel the output index, map it, read".
 */
import { Prim } from "../../ir/index.js";
import { type Impl, alloc, forEachIndex, stridesOf } from "./ref-array.js";

export const broadcastInDimImpl: Impl<Prim.BroadcastInDim> = ([x], { broadcastDimensions: bd }, [out]) => {
  const o = alloc(out);
  const xs = stridesOf(x.shape);
  forEachIndex(out.shape, (idx, flat) => {
    let src = 0;
    for (let i = 0; i < bd.length; i++) if (x.shape[i] !== 1) src += idx[bd[i]] * xs[i];
    o[flat] = x.data[src];
  });
  return [o];
};

/** Reshape and friends keep row-major order, so the data is copied unchanged. */
export const copyImpl: Impl<Prim> = ([x], _p, [out]) => {
  const o = alloc(out);
  o.set(x.data);
  return [o];
};

export const transposeImpl: Impl<Prim.Transpose> = ([x], { permutation }, [out]) => {
  const o = alloc(out);
  const xs = stridesOf(x.shape);
  forEachIndex(out.shape, (idx, flat) => {
    let src = 0;
    for (let i = 0; i < permutation.length; i++) src += idx[i] * xs[permutation[i]];
    o[flat] = x.data[src];
  });
  return [o];
};

export const revImpl: Impl<Prim.Rev> = ([x], { dimensions }, [out]) => {
  const o = alloc(out);
  const xs = stridesOf(x.shape);
  forEachIndex(out.shape, (idx, flat) => {
    let src = 0;
    for (let i = 0; i < idx.length; i++) {
      src += (dimensions.includes(i) ? x.shape[i] - 1 - idx[i] : idx[i]) * xs[i];
    }
    o[flat] = x.data[src];
  });
  return [o];
};

export const padImpl: Impl<Prim.Pad> = ([x, v], { paddingConfig }, [out]) => {
  const o = alloc(out);
  o.fill(v.data[0]);
  const os = stridesOf(out.shape);
  // Scatter each input element to its padded position; negative low/high padding crops.
  forEachIndex(x.shape, (idx, flat) => {
    let dst = 0;
    for (let i = 0; i < idx.length; i++) {
      const [lo, , interior] = paddingConfig[i];
      const p = lo + idx[i] * (interior + 1);
      if (p < 0 || p >= out.shape[i]) return;
      dst += p * os[i];
    }
    o[dst] = x.data[flat];
  });
  return [o];
};

export const concatenateImpl: Impl<Prim.Concatenate> = (xs, { dimension }, [out]) => {
  const o = alloc(out);
  const os = stridesOf(out.shape);
  let offset = 0;
  for (const x of xs) {
    forEachIndex(x.shape, (idx, flat) => {
      let dst = 0;
      for (let i = 0; i < idx.length; i++) dst += (i === dimension ? idx[i] + offset : idx[i]) * os[i];
      o[dst] = x.data[flat];
    });
    offset += x.shape[dimension];
  }
  return [o];
};

export const sliceImpl: Impl<Prim.Slice> = ([x], { startIndices, strides }, [out]) => {
  const o = alloc(out);
  const xs = stridesOf(x.shape);
  forEachIndex(out.shape, (idx, flat) => {
    let src = 0;
    for (let i = 0; i < idx.length; i++) src += (startIndices[i] + idx[i] * (strides ? strides[i] : 1)) * xs[i];
    o[flat] = x.data[src];
  });
  return [o];
};

export const iotaImpl: Impl<Prim.Iota> = (_xs, { dimension }, [out]) => {
  const o = alloc(out);
  forEachIndex(out.shape, (idx, flat) => {
    o[flat] = idx[dimension];
  });
  return [o];
};
