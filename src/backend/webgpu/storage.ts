/**
 * @file How the webgpu backend lays arrays out in GPU buffers: float32 as f32, int32 as i32,
 * uint32 as u32, bool as u32 (0/1), float16 as f32 (as the other backends hold it), float64 as
 * its 8 raw bytes (only host steps read it).
 */
import { type DType, type TypedArray, itemSize } from "../../ir/index.js";
import { roundF16 } from "../reference/float-bits.js";

/** Bytes per element on the GPU (bool as u32, float16 as f32). */
export const storedSize = (d: DType): number => (d === "bool" || d === "float16" ? 4 : itemSize(d));

/** Host data as the bytes the GPU holds (bool -> u32, float16 -> f32 rounded to half precision). */
export function toStored(dtype: DType, data: TypedArray | ArrayLike<number>): ArrayBufferView {
  if (dtype === "bool") return Uint32Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0));
  if (dtype === "float16") return Float32Array.from(data as ArrayLike<number>, roundF16);
  const ctor = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint32: Uint32Array }[dtype];
  return data instanceof ctor ? data : ctor.from(data as ArrayLike<number>);
}

/** GPU bytes as the typed array the other backends return for `dtype`. */
export function fromStored(dtype: DType, bytes: ArrayBuffer, size: number): TypedArray {
  switch (dtype) {
    case "bool":
      return Uint8Array.from(new Uint32Array(bytes, 0, size), (v) => (v ? 1 : 0));
    case "float16":
    case "float32":
      return new Float32Array(bytes, 0, size);
    case "float64":
      return new Float64Array(bytes, 0, size);
    case "int32":
      return new Int32Array(bytes, 0, size);
    case "uint32":
      return new Uint32Array(bytes, 0, size);
  }
}
