/**
 * @file Element types and JAX's type-promotion lattice.
 *
 * Kiln follows JAX's promotion rules (https://jax.readthedocs.io/en/latest/type_promotion.html,
 * pinned to jax 0.4.30): JS numbers are *weakly typed*, so `x.add(1)` keeps `x`'s dtype, and the
 * lattice avoids NumPy's value-dependent promotion. Kiln has no 64-bit integers, so the lattice's
 * `int64` node is canonicalized to `int32` as JAX does when x64 is disabled.
 */

/** Element types. `float64` runs on CPU backends only; `float16` is meant for GPUs. */
export type DType = "float32" | "int32" | "uint32" | "bool" | "float16" | "float64";

export const DTYPES: readonly DType[] = ["float32", "int32", "uint32", "bool", "float16", "float64"];

/** Typed-array storage for each dtype (float16 is stored widened, rounded after every op). */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;

const SHORT: Record<DType, string> = {
  float32: "f32",
  int32: "i32",
  uint32: "u32",
  bool: "bool",
  float16: "f16",
  float64: "f64",
};

/** The short name used in printed programs, e.g. `f32`. */
export const shortName = (d: DType): string => SHORT[d];

export const isDType = (x: unknown): x is DType =>
  typeof x === "string" && (DTYPES as readonly string[]).includes(x);

export const isFloat = (d: DType): boolean => d === "float32" || d === "float64" || d === "float16";
export const isInt = (d: DType): boolean => d === "int32" || d === "uint32";
export const isUnsigned = (d: DType): boolean => d === "uint32";
export const isBool = (d: DType): boolean => d === "bool";

/** Bytes per element as the dtype is stored on a device. */
export const itemSize = (d: DType): number =>
  d === "float64" ? 8 : d === "bool" ? 1 : d === "float16" ? 2 : 4;

/** Allocates zeroed host storage for `n` elements of dtype `d`. */
export function allocTyped(d: DType, n: number): TypedArray {
  switch (d) {
    case "float32":
    case "float16":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
    case "uint32":
      return new Uint32Array(n);
    case "bool":
      return new Uint8Array(n);
    default:
      return d satisfies never;
  }
}

// ---- the promotion lattice -------------------------------------------------------------------

/** Lattice nodes: the concrete dtypes plus weak int/float and the virtual int64. */
type Node = DType | "weak_int" | "weak_float" | "int64";

/** Edges point from a type to the types it promotes to directly (JAX's `_type_promotion_lattice`). */
const EDGES: Record<Node, readonly Node[]> = {
  bool: ["weak_int"],
  weak_int: ["uint32", "int32"],
  uint32: ["int64"],
  int32: ["int64"],
  int64: ["weak_float"],
  weak_float: ["float16"],
  float16: ["float32"],
  float32: ["float64"],
  float64: [],
};

const UPPER: Map<Node, Set<Node>> = (() => {
  const m = new Map<Node, Set<Node>>();
  const visit = (n: Node): Set<Node> => {
    const hit = m.get(n);
    if (hit) return hit;
    const s = new Set<Node>([n]);
    for (const e of EDGES[n]) for (const u of visit(e)) s.add(u);
    m.set(n, s);
    return s;
  };
  for (const n of Object.keys(EDGES) as Node[]) visit(n);
  return m;
})();

const toNode = (d: DType, weak: boolean): Node =>
  weak ? (isFloat(d) ? "weak_float" : isInt(d) ? "weak_int" : d) : d;

/** A dtype together with JAX's weak-type flag. */
export interface TypeSpec {
  readonly dtype: DType;
  readonly weak: boolean;
}

/**
 * The least upper bound of the inputs in the promotion lattice.
 *
 * @example promoteTypes({dtype: "int32", weak: false}, {dtype: "float32", weak: true})
 *   // => {dtype: "float32", weak: true}   (int32 + 1.5 is a weak float32)
 */
export function promoteTypes(...specs: readonly TypeSpec[]): TypeSpec {
  if (specs.length === 0) throw new TypeError("promoteTypes: expected at least one type");
  let common: Set<Node> | undefined;
  for (const s of specs) {
    const up = UPPER.get(toNode(s.dtype, s.weak))!;
    common = common ? new Set([...common].filter((n) => up.has(n))) : new Set(up);
  }
  // The least element is the one whose own upper set contains every common bound.
  const least = [...common!].find((n) => [...common!].every((m) => UPPER.get(n)!.has(m)));
  if (least === undefined) throw new Error("internal: promotion lattice has no least upper bound");
  switch (least) {
    case "weak_int":
      return { dtype: "int32", weak: true };
    case "weak_float":
      return { dtype: "float32", weak: true };
    case "int64":
      return { dtype: "int32", weak: false };
    default:
      return { dtype: least, weak: false };
  }
}

/** Result dtype for mixing dtypes, ignoring weakness of the result. */
export const resultType = (...specs: readonly TypeSpec[]): DType => promoteTypes(...specs).dtype;
