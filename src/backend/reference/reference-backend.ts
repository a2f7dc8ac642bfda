/**
 * @file The reference backend: plain JS over typed arrays, the oracle for every other backend.
 */
import {
  type DType, type FirstOrderPrim, type PrimParams, type ShapedArray, type TypedArray, allocTyped,
} from "../../ir/index.js";
import type { Backend, BufferId, MemoryInfo, Operand } from "../backend.js";
import { BufferTable } from "../buffer-table.js";
import { referenceImpls } from "./impls.js";
import type { Impl, RefArray } from "./ref-array.js";
import { roundF16 } from "./float-bits.js";

interface Slot {
  readonly data: TypedArray;
  readonly dtype: DType;
}

export class ReferenceBackend implements Backend {
  readonly name = "reference";
  readonly canReadSync = true;
  #table = new BufferTable<Slot>("reference");

  alloc(dtype: DType, size: number, data: TypedArray | null): BufferId {
    const buf = allocTyped(dtype, size);
    if (data) buf.set(data);
    if (dtype === "float16") for (let i = 0; i < size; i++) buf[i] = roundF16(buf[i]);
    return this.#adopt(buf, dtype);
  }

  #adopt(data: TypedArray, dtype: DType): BufferId {
    return this.#table.add({ data, dtype }, dtype, data.length);
  }

  #slot(id: BufferId): Slot {
    return this.#table.get(id);
  }

  retain(id: BufferId): void {
    this.#table.retain(id);
  }

  release(id: BufferId): void {
    this.#table.release(id);
  }

  readSync(id: BufferId): TypedArray {
    return this.#slot(id).data.slice();
  }

  read(id: BufferId): Promise<TypedArray> {
    return Promise.resolve(this.readSync(id));
  }

  /** Direct read-only access for the reference interpreter and tests; never mutate. */
  view(id: BufferId): TypedArray {
    return this.#slot(id).data;
  }

  execute<P extends FirstOrderPrim>(
    prim: P,
    inputs: readonly Operand[],
    params: PrimParams[P],
    outAvals: readonly ShapedArray[],
  ): BufferId[] {
    const xs: RefArray[] = inputs.map(({ buffer, aval }) => ({
      data: this.#slot(buffer).data,
      shape: aval.shape,
      dtype: aval.dtype,
    }));
    const outs = (referenceImpls[prim] as Impl<P>)(xs, params, outAvals);
    return outs.map((data, i) => {
      const { dtype } = outAvals[i];
      if (dtype === "float16") for (let k = 0; k < data.length; k++) data[k] = roundF16(data[k]);
      return this.#adopt(data, dtype);
    });
  }

  memory(): MemoryInfo {
    return this.#table.memory();
  }
}
