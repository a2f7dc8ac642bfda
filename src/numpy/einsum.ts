/**
 * @file `np.einsum` (NumPy / jax.numpy semantics), `np.einsumPath` and `np.kron`.
 *
 * The subscripts are parsed into one label list per operand (ellipsis axes get numeric labels,
 * aligned from the right so they broadcast). Each operand is first reduced on its own: repeated
 * labels become a diagonal (a strided slice of the flattened pair of axes), size-1 axes that
 * broadcast against a larger size are dropped, and labels seen nowhere else are summed. The
 * operands are then contracted pairwise, greedily picking the pair whose result is smallest,
 * and each pair becomes exactly one `dot_general`: labels shared by both and still needed
 * (by the output or a later operand) are batch dimensions, the other shared ones contract.
 */
import { ShapeError, shapeStr } from "../ir/index.js";
import type { Tracer } from "../trace/core.js";
import * as lax from "./lax-core.js";
import { multiply } from "./math.js";
import { type ArrayInput, promoteArgs } from "./util.js";

type Labels = readonly string[];

interface Parsed {
  readonly inputs: Labels[];
  readonly output: Labels;
  /** Size of every label after broadcasting (1 broadcasts against n). */
  readonly sizes: ReadonlyMap<string, number>;
}

const OP = "np.einsum";
const isLetter = (c: string) => /^[a-zA-Z]$/.test(c);

/** Splits one term into letters and at most one ellipsis marker "...". */
function parseTerm(term: string, where: string): { letters: string[]; ellipsisAt: number } {
  const letters: string[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < term.length; ) {
    if (term.startsWith("...", i)) {
      if (ellipsisAt >= 0) throw new SyntaxError(`${OP}: ${where} "${term}" has more than one ellipsis "..."; use at most one per term.`);
      ellipsisAt = letters.length;
      i += 3;
    } else if (isLetter(term[i])) {
      letters.push(term[i++]);
    } else {
      throw new SyntaxError(
        `${OP}: invalid character ${JSON.stringify(term[i])} in ${where} "${term}"; subscripts are letters a-z, A-Z ` +
          `and "..." (a single "." is not allowed).`,
      );
    }
  }
  return { letters, ellipsisAt };
}

/** Parses subscripts against operand shapes and checks that every label has one size. */
function parse(subscripts: string, shapes: readonly (readonly number[])[]): Parsed {
  const spec = subscripts.replace(/\s+/g, "");
  const arrows = spec.split("->");
  if (arrows.length > 2) throw new SyntaxError(`${OP}: subscripts "${subscripts}" contain more than one "->".`);
  const terms = arrows[0].split(",");
  if (terms.length !== shapes.length) {
    throw new TypeError(
      `${OP}: subscripts "${subscripts}" name ${terms.length} operand(s) but ${shapes.length} were passed; ` +
        `give one comma-separated term per operand.`,
    );
  }
  const parsed = terms.map((t, i) => parseTerm(t, `operand ${i} term`));
  const ellRank = Math.max(0, ...parsed.map((p, i) => (p.ellipsisAt >= 0 ? shapes[i].length - p.letters.length : 0)));
  const inputs = parsed.map(({ letters, ellipsisAt }, i) => {
    const nd = shapes[i].length;
    const n = nd - letters.length;
    if (ellipsisAt < 0 ? n !== 0 : n < 0) {
      throw new ShapeError(
        `${OP}: operand ${i} has shape ${shapeStr(shapes[i])} (rank ${nd}) but its term "${terms[i]}" names ` +
          `${letters.length} axes${ellipsisAt < 0 ? '; add "..." or one letter per axis.' : "."}`,
      );
    }
    if (ellipsisAt < 0) return letters;
    // Ellipsis axes are right-aligned, so "..." of rank 1 and rank 2 share the last label.
    const ell = Array.from({ length: n }, (_, k) => String(ellRank - n + k));
    return [...letters.slice(0, ellipsisAt), ...ell, ...letters.slice(ellipsisAt)];
  });

  const sizes = new Map<string, number>();
  const firstSeen = new Map<string, number>();
  inputs.forEach((labels, i) => {
    labels.forEach((l, ax) => {
      const d = shapes[i][ax];
      const name = isLetter(l) ? `index '${l}'` : `ellipsis axis ${l}`;
      const prev = sizes.get(l);
      const own = labels.indexOf(l);
      if (own !== ax && shapes[i][own] !== d) {
        throw new ShapeError(
          `${OP}: ${name} repeats in operand ${i} with different sizes ${shapes[i][own]} and ${d} ` +
            `(shape ${shapeStr(shapes[i])}); a repeated index takes a diagonal, which needs equal sizes.`,
        );
      }
      if (prev === undefined || prev === 1) {
        sizes.set(l, d);
        if (prev === undefined || d !== 1) firstSeen.set(l, i);
      } else if (d !== prev && d !== 1) {
        throw new ShapeError(
          `${OP}: ${name} has size ${prev} in operand ${firstSeen.get(l)} but size ${d} in operand ${i}; ` +
            `sizes of one index must agree (or be 1, which broadcasts).`,
        );
      }
    });
  });

  const allEll = [...globalThis.Array(ellRank).keys()].map(String);
  let output: string[];
  if (arrows.length === 2) {
    const { letters, ellipsisAt } = parseTerm(arrows[1], "output term");
    for (const l of letters) {
      if (!sizes.has(l)) throw new ShapeError(`${OP}: output index '${l}' does not appear in any input term of "${subscripts}".`);
      if (letters.indexOf(l) !== letters.lastIndexOf(l)) {
        throw new SyntaxError(`${OP}: output index '${l}' appears more than once in "${arrows[1]}"; each output index must be unique.`);
      }
    }
    // Without "..." in the output, ellipsis axes are summed (as jax.numpy does).
    output = ellipsisAt < 0 ? letters : [...letters.slice(0, ellipsisAt), ...allEll, ...letters.slice(ellipsisAt)];
  } else {
    const counts = new Map<string, number>();
    for (const l of inputs.flat()) if (isLetter(l)) counts.set(l, (counts.get(l) ?? 0) + 1);
    const once = [...counts].filter(([, c]) => c === 1).map(([l]) => l).sort();
    output = [...allEll, ...once];
  }
  return { inputs, output, sizes };
}

/** The labels an operand keeps after its own diagonals, broadcasts and private sums. */
function reducedLabels(p: Parsed, i: number, shape: readonly number[]): string[] {
  const others = new Set([...p.output, ...p.inputs.filter((_, j) => j !== i).flat()]);
  const labels = p.inputs[i];
  return labels.filter(
    (l, ax) => labels.indexOf(l) === ax && others.has(l) && !(shape[ax] === 1 && p.sizes.get(l)! > 1),
  );
}

/** Brings `x` (axes labelled `labels`) to the labels of `reducedLabels`, in that order. */
function reduceOperand(x: Tracer, labels: Labels, keep: Labels): Tracer {
  let cur = [...labels];
  // Repeated labels: move the pair last, flatten it, and take every (n+1)-th element.
  for (let q = cur.length - 1; q >= 0; q--) {
    const p = cur.indexOf(cur[q]);
    if (p === q) continue;
    const n = x.shape[p];
    const rest = cur.map((_, k) => k).filter((k) => k !== p && k !== q);
    x = lax.transpose(x, [...rest, p, q]);
    const restShape = rest.map((k) => x.shape[rest.indexOf(k)]);
    x = lax.reshape(x, [...restShape, n * n]);
    x = lax.slice(x, [...restShape.map(() => 0), 0], [...restShape, n * n], [...restShape.map(() => 1), n + 1]);
    cur = [...rest.map((k) => cur[k]), cur[p]];
    q = cur.length;
  }
  const drop = cur.map((l, k) => k).filter((k) => !keep.includes(cur[k]));
  const squeeze = drop.filter((k) => x.shape[k] === 1);
  const sum = drop.filter((k) => x.shape[k] !== 1);
  if (sum.length) x = lax.reduceSum(x, sum);
  const left = cur.filter((_, k) => !sum.includes(k));
  if (squeeze.length) x = lax.reshape(x, left.filter((l) => keep.includes(l)).map((l) => x.shape[left.indexOf(l)]));
  cur = cur.filter((l) => keep.includes(l));
  return permuteTo(x, cur, keep);
}

function permuteTo(x: Tracer, from: Labels, to: Labels): Tracer {
  const perm = to.map((l) => from.indexOf(l));
  return perm.every((p, k) => p === k) ? x : lax.transpose(x, perm);
}

interface Step {
  readonly pair: readonly [number, number];
  /** Whether the later operand of the pair is the lhs of the dot_general. */
  readonly swap: boolean;
  readonly batch: string[];
  readonly contract: string[];
  readonly result: string[];
}

/** Result labels of contracting terms `a` and `b` when `needed` labels must survive. */
function pairStep(a: Labels, b: Labels, needed: ReadonlySet<string>, pair: [number, number], output: Labels): Step {
  const shared = a.filter((l) => b.includes(l));
  const batch = shared.filter((l) => needed.has(l));
  const contract = shared.filter((l) => !needed.has(l));
  const result = [...batch, ...a.filter((l) => !b.includes(l)), ...b.filter((l) => !a.includes(l))];
  const swapped = [...batch, ...b.filter((l) => !a.includes(l)), ...a.filter((l) => !b.includes(l))];
  // Take the operand order whose result is closer to the output order, to save a transpose.
  const swap = inversions(swapped, output) < inversions(result, output);
  return { pair, swap, batch, contract, result: swap ? swapped : result };
}

/** Pairs of labels (both in `output`) that appear in the opposite order there. */
function inversions(ls: Labels, output: Labels): number {
  const pos = ls.map((l) => output.indexOf(l)).filter((k) => k >= 0);
  let n = 0;
  for (let i = 0; i < pos.length; i++) for (let j = i + 1; j < pos.length; j++) if (pos[i] > pos[j]) n++;
  return n;
}

/** Greedy pairwise order: at each step contract the pair with the smallest result. */
function plan(terms: Labels[], output: Labels, sizes: ReadonlyMap<string, number>): Step[] {
  const live = [...terms];
  const steps: Step[] = [];
  while (live.length > 1) {
    let best: Step | undefined;
    let bestCost = Infinity;
    for (let i = 0; i < live.length; i++) {
      for (let j = i + 1; j < live.length; j++) {
        const needed = new Set([...output, ...live.filter((_, k) => k !== i && k !== j).flat()]);
        const s = pairStep(live[i], live[j], needed, [i, j], output);
        const cost = s.result.reduce((c, l) => c * sizes.get(l)!, 1);
        if (cost < bestCost) [best, bestCost] = [s, cost];
      }
    }
    const s = best!;
    live.splice(s.pair[1], 1);
    live.splice(s.pair[0], 1);
    live.push(s.result);
    steps.push(s);
  }
  return steps;
}

const termStr = (t: Labels) => t.map((l) => (isLetter(l) ? l : "")).join("") + (t.some((l) => !isLetter(l)) ? "…" : "");

/**
 * Einstein summation over any number of operands, with NumPy's subscript language: explicit
 * (`"ij,jk->ik"`) and implicit (`"ij,jk"`) outputs, `...` broadcasting, repeated indices
 * (diagonals, `"ii->"` is the trace) and sums over indices missing from the output.
 * Each pairwise contraction is one `dot_general`.
 *
 * @example np.einsum("bij,bjk->bik", a, b) // batched matmul
 * @example np.einsum("ii", m) // trace
 */
export function einsum(subscripts: string, ...operands: ArrayInput[]): Tracer {
  if (typeof subscripts !== "string") {
    throw new TypeError(`${OP}: the first argument must be a subscripts string such as "ij,jk->ik", received ${typeof subscripts}.`);
  }
  if (operands.length === 0) throw new TypeError(`${OP}: at least one operand is required after "${subscripts}".`);
  const xs = promoteArgs(OP, ...operands);
  const p = parse(subscripts, xs.map((x) => x.shape));
  const terms = xs.map((x, i) => reducedLabels(p, i, x.shape));
  const live = xs.map((x, i) => reduceOperand(x, p.inputs[i], terms[i]));
  for (const s of plan(terms, p.output, p.sizes)) {
    const [i, j] = s.pair;
    const [a, b] = s.swap ? [live[j], live[i]] : [live[i], live[j]];
    const [la, lb] = s.swap ? [terms[j], terms[i]] : [terms[i], terms[j]];
    const idx = (ls: Labels, sel: Labels) => sel.map((l) => ls.indexOf(l));
    const out = lax.dotGeneral(a, b, [[idx(la, s.contract), idx(lb, s.contract)], [idx(la, s.batch), idx(lb, s.batch)]]);
    for (const arr of [live, terms] as unknown[][]) {
      arr.splice(j, 1);
      arr.splice(i, 1);
    }
    live.push(out);
    terms.push(s.result);
  }
  return reduceOperand(live[0], terms[0], p.output);
}

/**
 * The pairwise contraction order `einsum` uses, as NumPy's `einsum_path` reports it: the path
 * (`["einsum_path", [i, j], ...]`, positions in the shrinking operand list) and a readable
 * description of each step with its intermediate size.
 *
 * @example np.einsumPath("ij,jk,kl->il", a, b, c)[1]
 */
export function einsumPath(subscripts: string, ...operands: ArrayInput[]): [(string | [number, number])[], string] {
  const xs = promoteArgs("np.einsumPath", ...operands);
  const p = parse(subscripts, xs.map((x) => x.shape));
  const terms = xs.map((x, i) => reducedLabels(p, i, x.shape));
  const steps = plan(terms, p.output, p.sizes);
  const live = [...terms];
  const lines = [`Complete contraction: ${subscripts.replace(/\s+/g, "")}`];
  for (const s of steps) {
    const [i, j] = s.pair;
    const size = s.result.reduce((c, l) => c * p.sizes.get(l)!, 1);
    const [x, y] = s.swap ? [live[j], live[i]] : [live[i], live[j]];
    lines.push(`  ${termStr(x)},${termStr(y)}->${termStr(s.result)}  (dot_general, intermediate size ${size})`);
    live.splice(j, 1);
    live.splice(i, 1);
    live.push(s.result);
  }
  return [["einsum_path", ...steps.map((s) => [...s.pair] as [number, number])], lines.join("\n")];
}

/**
 * Kronecker product: block `a[i, j] * b` at block position (i, j); lower-rank inputs get
 * leading size-1 axes first.
 *
 * @example np.kron(np.eye(2), np.ones([2, 2])) // f32[4,4] block-diagonal
 */
export function kron(a: ArrayInput, b: ArrayInput): Tracer {
  let [x, y] = promoteArgs("np.kron", a, b);
  const nd = Math.max(x.ndim, y.ndim);
  x = lax.reshape(x, [...globalThis.Array(nd - x.ndim).fill(1), ...x.shape]);
  y = lax.reshape(y, [...globalThis.Array(nd - y.ndim).fill(1), ...y.shape]);
  // Interleave axes: x as [a0, 1, a1, 1, ...] times y as [1, b0, 1, b1, ...].
  const xs = lax.reshape(x, x.shape.flatMap((d) => [d, 1]));
  const ys = lax.reshape(y, y.shape.flatMap((d) => [1, d]));
  return lax.reshape(multiply(xs, ys), x.shape.map((d, i) => d * y.shape[i]));
}
