/**
 * @file Eager evaluation of the higher-order primitives on concrete arrays: `pjit` runs the
 * backend's compiled executable for its program (fused kernels, planned memory) when the backend
 * can compile it, other calls run their program, `cond` reads its index, loops iterate on the
 * host. `execute` only ever sees first-order primitives. On backends that cannot read
 * synchronously (webgpu), `cond` selects among all its branches and `while` runs as a host step.
 */
import { type HigherOrderPrim, Prim, type PrimParams, type Program, ShapedArray } from "../ir/index.js";
import type { Backend, Executable } from "../backend/backend.js";
import { getBackend, withDefaultBackend } from "../backend/registry.js";
import { type Tracer, bind1, isEagerContext } from "./core.js";
import { evalProgram } from "./eval-program.js";
import { ConcreteArray } from "./array.js";

/** Each backend's executable per program object; null: the backend cannot compile it. */
const executables = new WeakMap<Backend, WeakMap<Program, Executable | null>>();

const NONE: ReadonlySet<Tracer> = new Set();
/** Arrays the next eagerly evaluated pjit may consume (jit's donateArgnums). */
let donating: ReadonlySet<Tracer> = NONE;

/**
 * Runs `f` (which binds one pjit) with `arrays` donated to it: the executable may overwrite
 * their buffers where they hold the only reference. The caller disposes them afterwards.
 * Donation applies only in eager mode, where nothing else can still read them.
 *
 * @example withDonation([params], () => bind(Prim.Pjit, [params, x], { program, name }))
 */
export function withDonation<T>(arrays: readonly Tracer[], f: () => T): T {
  const prev = donating;
  donating = arrays.length && isEagerContext() ? new Set(arrays) : NONE;
  try {
    return f();
  } finally {
    donating = prev;
  }
}

/** Runs `program` as one compiled executable; null when the backend has none for it. */
function runCompiled(program: Program, args: readonly Tracer[], donated: ReadonlySet<Tracer>): Tracer[] | null {
  const backend = args[0] instanceof ConcreteArray ? args[0].backend : getBackend();
  if (!backend.compile || !args.every((a) => a instanceof ConcreteArray && a.backend === backend)) return null;
  let byProgram = executables.get(backend);
  if (!byProgram) executables.set(backend, (byProgram = new WeakMap()));
  let exe = byProgram.get(program);
  if (exe === undefined) byProgram.set(program, (exe = backend.compile(program)));
  if (!exe) return null;
  const arrays = args as readonly ConcreteArray[];
  const outs = exe.run(arrays.map((a) => a.buffer), donated.size ? arrays.map((a) => donated.has(a)) : undefined);
  return outs.map((b, i) => new ConcreteArray(program.outs[i].aval, backend, b));
}

const backendOf = (x: Tracer | undefined): Backend => (x instanceof ConcreteArray ? x.backend : getBackend());

/** A scalar int32 Array on `backend`. */
const scalarOn = (backend: Backend, v: number) => new ConcreteArray(new ShapedArray([], "int32"), backend, backend.alloc("int32", 1, Int32Array.of(v)));

/**
 * `cond` where the index cannot be read synchronously (GPU backends): every branch runs and
 * `select_n` keeps the chosen one's outputs, as vmap of cond does. Branches are pure, so only
 * the cost differs.
 */
function condBySelect(index: ConcreteArray, ops: readonly Tracer[], branches: readonly Program[]): Tracer[] {
  const lo = scalarOn(index.backend, 0);
  const hi = scalarOn(index.backend, branches.length - 1);
  const asInt = index.dtype === "int32" ? index.retain() : bind1(Prim.ConvertElementType, [index], { newDtype: "int32", weakType: false });
  const which = bind1(Prim.Clamp, [lo, asInt, hi], {});
  [lo, hi, asInt].forEach((a) => a.dispose());
  const outs = branches.map((b) => evalProgram(b, ops));
  const picked = outs[0].map((_, k) => (branches.length === 1 ? outs[0][k].retain() : bind1(Prim.SelectN, [which, ...outs.map((o) => o[k])], {})));
  outs.flat().forEach((o) => o.dispose());
  which.dispose();
  return picked;
}

/**
 * `while` where the predicate cannot be read synchronously (GPU backends): the loop runs as a
 * host step of the backend (its operands read back once ready, the loop evaluated on the wasm
 * backend, the final carry uploaded), so eager code never blocks.
 */
function whileOnHost(backend: Backend, args: readonly ConcreteArray[], params: PrimParams[Prim.While]): Tracer[] {
  const { condNconsts, bodyNconsts } = params;
  const carryAvals = args.slice(condNconsts + bodyNconsts).map((a) => a.aval);
  const ids = backend.hostStep!(args.map((a) => ({ buffer: a.buffer, aval: a.aval })), carryAvals, (data) => {
    const cpu = getBackend("wasm");
    const local = data.map((d, i) => new ConcreteArray(args[i].aval, cpu, cpu.alloc(args[i].dtype, args[i].size, d)));
    try {
      // Literals and constants the loop makes are created on the CPU too.
      const outs = withDefaultBackend("wasm", () => controlEvaluators[Prim.While](local, params));
      const host = outs.map((o) => o.dataSync());
      outs.forEach((o) => o.dispose());
      return host;
    } finally {
      local.forEach((a) => a.dispose());
    }
  });
  return ids.map((id, i) => new ConcreteArray(carryAvals[i], backend, id));
}

/**
 * A loop body, loop condition or branch: compiled once by the backend (fused kernels, one submit
 * per iteration on webgpu) when it can, else evaluated op by op.
 */
const runProgram = (program: Program, args: readonly Tracer[]): Tracer[] => runCompiled(program, args, NONE) ?? evalProgram(program, args);

type Evaluator<P extends HigherOrderPrim> = (args: readonly Tracer[], params: PrimParams[P]) => Tracer[];

const indexAt = (x: Tracer, i: number): Tracer => {
  const sizes = [1, ...x.shape.slice(1)];
  const starts = x.shape.map((_, k) => (k === 0 ? i : 0));
  const s = bind1(Prim.Slice, [x], { startIndices: starts, limitIndices: starts.map((v, k) => v + sizes[k]), strides: null });
  const r = bind1(Prim.Reshape, [s], { newSizes: x.shape.slice(1) });
  s.dispose();
  return r;
};

const stack = (items: readonly Tracer[], length: number, shape: readonly number[], dtype: Tracer["dtype"]): Tracer => {
  if (length === 0) {
    const z = bind1(Prim.ConvertElementType, [0], { newDtype: dtype, weakType: false });
    const r = bind1(Prim.BroadcastInDim, [z], { shape: [0, ...shape], broadcastDimensions: [] });
    z.dispose();
    return r;
  }
  const expanded = items.map((y) => bind1(Prim.Reshape, [y], { newSizes: [1, ...y.shape] }));
  const r = bind1(Prim.Concatenate, expanded, { dimension: 0 });
  expanded.forEach((e) => e.dispose());
  return r;
};

export const controlEvaluators: { [P in HigherOrderPrim]: Evaluator<P> } = {
  [Prim.Pjit]: (args, { program }) => {
    // Donation is for this call only: nested calls see the donated arrays as borrowed inputs.
    const donated = donating;
    donating = NONE;
    return runCompiled(program, args, donated) ?? evalProgram(program, args);
  },
  [Prim.CustomJvpCall]: (args, { program }) => evalProgram(program, args),
  [Prim.CustomVjpCall]: (args, { program }) => evalProgram(program, args),
  [Prim.Remat]: (args, { program }) => evalProgram(program, args),
  // Only forward-mode differentiation of a customVjp function evaluates this.
  [Prim.CustomLin]: (_args, { name }) => {
    throw new Error(
      `Forward-mode differentiation (jvp, jacfwd) is not available for the customVjp function '${name}': ` +
        `it defines only a backward pass. Use reverse mode (grad, vjp, jacrev), or define it with customJvp.`,
    );
  },
  [Prim.Cond]: ([index, ...ops], { branches }) => {
    if (!backendOf(index).canReadSync) return condBySelect(index as ConcreteArray, ops, branches);
    const i = Math.min(Math.max(Number(index.item()), 0), branches.length - 1);
    return runProgram(branches[i], ops);
  },
  [Prim.While]: (args, params) => {
    const backend = backendOf(args[0]);
    if (!backend.canReadSync && backend.hostStep) return whileOnHost(backend, args as ConcreteArray[], params);
    const { condProgram, bodyProgram, condNconsts, bodyNconsts } = params;
    const condConsts = args.slice(0, condNconsts);
    const bodyConsts = args.slice(condNconsts, condNconsts + bodyNconsts);
    let carry = args.slice(condNconsts + bodyNconsts).map((c) => c.retain());
    for (;;) {
      const [pred] = runProgram(condProgram, [...condConsts, ...carry]);
      const go = pred.item();
      pred.dispose();
      if (!go) return carry;
      const next = runProgram(bodyProgram, [...bodyConsts, ...carry]);
      carry.forEach((c) => c.dispose());
      carry = next;
    }
  },
  [Prim.Scan]: (args, { program, numConsts, numCarry, length, reverse }) => {
    const consts = args.slice(0, numConsts);
    let carry = args.slice(numConsts, numConsts + numCarry).map((c) => c.retain());
    const xs = args.slice(numConsts + numCarry);
    const ysAvals = program.outs.slice(numCarry).map((o) => o.aval);
    const ys: Tracer[][] = ysAvals.map(() => new Array<Tracer>(length));
    for (let k = 0; k < length; k++) {
      const i = reverse ? length - 1 - k : k;
      const slices = xs.map((x) => indexAt(x, i));
      const outs = runProgram(program, [...consts, ...carry, ...slices]);
      slices.forEach((s) => s.dispose());
      carry.forEach((c) => c.dispose());
      carry = outs.slice(0, numCarry);
      outs.slice(numCarry).forEach((y, j) => (ys[j][i] = y));
    }
    const stacked = ys.map((items, j) => stack(items, length, ysAvals[j].shape, ysAvals[j].dtype));
    ys.forEach((items) => items.forEach((y) => y?.dispose()));
    return [...carry, ...stacked];
  },
};
