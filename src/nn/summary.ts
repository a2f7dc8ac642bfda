/**
 * @file `summary(model)`: Keras 3's model table. One row per layer with its output shape (from
 * the symbolic graph: `Sequential.layerOutputs`, or the functional model's nodes; "?" where no
 * graph records it, as for subclassed models) and parameter count, a "Connected to" column for
 * functional models that are not a plain chain, then the totals with their memory size.
 */
import { treeFlatten, type PyTree } from "../index.js";
import type { Layer } from "./layer.js";
import { Model } from "./model.js";
import { Sequential } from "./sequential.js";
import { type Node, type SymbolicTensor, formatShape } from "./symbolic.js";

export interface SummaryOptions {
  /** Called once per line (default: console.log). */
  readonly printFn?: (line: string) => void;
  /** Total width of the table, borders included (default 76 for 3 columns, 76 for 4 as Keras at 80 columns). */
  readonly lineLength?: number;
  /** Column boundaries as fractions of the inner width (default: Keras' look). */
  readonly positions?: readonly number[];
}

const BYTES: Record<string, number> = { float64: 8, float32: 4, float16: 2, int32: 4, uint32: 4, bool: 1 };

/** Bytes in Keras' units: `397.54 KB`, `0.00 B`. */
export function readableSize(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB", "PB"];
  let v = bytes;
  for (const u of units) {
    if (v / 1024 < 1) return `${v.toFixed(2)} ${u}`;
    v /= 1024;
  }
  return `${v.toFixed(2)} PB`;
}

/** `101770` -> `101,770`. */
const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/** Splits `text` into lines of at most `width` characters at spaces (as rich does). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(" ")) {
      const next = line === "" ? word : `${line} ${word}`;
      if (next.length <= width) {
        line = next;
        continue;
      }
      if (line !== "") lines.push(line);
      // A word longer than the cell is cut with an ellipsis (rich's default overflow).
      line = word.length > width ? `${word.slice(0, width - 1)}…` : word;
    }
    lines.push(line);
  }
  return lines;
}

/** Shapes of a layer's outputs at the given nodes, as Keras prints them. */
function shapesAt(nodes: readonly Node[]): string {
  const shown = [...new Set(nodes.map((n) => {
    const outs = n.outputs.map((t) => formatShape(t.shape));
    return outs.length === 1 ? outs[0] : `[${outs.join(", ")}]`;
  }))];
  return shown.length === 0 ? "?" : shown.join(", ");
}

interface Row {
  readonly name: string;
  readonly shape: string;
  readonly params: string;
  readonly connected?: string;
}

const typeName = (l: Layer): string => (l instanceof Sequential ? "Sequential" : l instanceof Model && l.isFunctional ? "Functional" : l.className);

const paramsOf = (l: Layer): string => (l.built ? thousands(l.countParams()) : "0 (unbuilt)");

/** The graph's nodes, and whether it is a plain chain (Keras then drops "Connected to"). */
function functionalNodes(model: Model): { nodes: Node[]; chain: boolean } {
  const io = model.graphIO!;
  const inputs = treeFlatten(io.inputs)[0] as SymbolicTensor[];
  const outputs = treeFlatten(io.outputs)[0] as SymbolicTensor[];
  const nodes: Node[] = inputs.map((t) => t.node);
  for (const l of model.layers) for (const n of l.inboundNodes) if (!nodes.includes(n) && reaches(n, outputs)) nodes.push(n);
  let chain = inputs.length === 1 && outputs.length === 1;
  const used = new Set<unknown>();
  let prev: SymbolicTensor = inputs[0];
  for (const n of nodes.slice(inputs.length)) {
    const ins = treeFlatten(n.inputs as PyTree)[0] as SymbolicTensor[];
    if (ins.length !== 1 || ins[0] !== prev || n.outputs.length !== 1 || used.has(n.layer)) chain = false;
    used.add(n.layer);
    prev = n.outputs[0];
  }
  return { nodes, chain };
}

/** Whether node `n` feeds (is upstream of) any of `outputs`. */
function reaches(n: Node, outputs: readonly SymbolicTensor[]): boolean {
  const seen = new Set<Node>();
  const stack = outputs.map((t) => t.node);
  while (stack.length > 0) {
    const m = stack.pop()!;
    if (m === n) return true;
    if (seen.has(m)) continue;
    seen.add(m);
    for (const t of treeFlatten(m.inputs as PyTree)[0] as SymbolicTensor[]) if (t && typeof t === "object" && "node" in t) stack.push(t.node);
  }
  return false;
}

function rows(model: Model): { rows: Row[]; connected: boolean } {
  if (model instanceof Sequential) {
    const outs = model.layerOutputs;
    return { rows: model.layers.map((l, i) => ({ name: `${l.name} (${typeName(l)})`, shape: outs[i] ? formatShape(outs[i].shape) : "?", params: paramsOf(l) })), connected: false };
  }
  if (!model.isFunctional) {
    return { rows: model.layers.map((l) => ({ name: `${l.name} (${typeName(l)})`, shape: "?", params: paramsOf(l) })), connected: false };
  }
  const { nodes, chain } = functionalNodes(model);
  const out: Row[] = model.layers.map((l) => {
    const mine = nodes.filter((n) => n.layer === l);
    const sources = mine.flatMap((n) => (treeFlatten(n.inputs as PyTree)[0] as SymbolicTensor[]).filter((t) => t && typeof t === "object" && "node" in t));
    const connected = sources.map((t) => `${t.node.layer.name}[${(t.node.layer as Layer).inboundNodes.indexOf(t.node)}][${t.index}]`).join(", ");
    return { name: `${l.name} (${typeName(l)})`, shape: shapesAt(mine), params: paramsOf(l), connected: connected || "-" };
  });
  return { rows: out, connected: !chain };
}

/**
 * Prints Keras' model summary table and returns it as text.
 *
 * @example
 *   summary(model);
 *   // Model: "sequential"
 *   // ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
 *   // ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
 *   // ...
 *   //  Total params: 101,770 (397.54 KB)
 */
export function summary(model: Model, opts: SummaryOptions = {}): string {
  if (!(model instanceof Model)) throw new TypeError(`summary: expected a Model, received ${model === null ? "null" : typeof model}.`);
  const { rows: body, connected } = rows(model);
  const header = connected ? ["Layer (type)", "Output Shape", "Param #", "Connected to"] : ["Layer (type)", "Output Shape", "Param #"];
  const ncols = header.length;
  const lineLength = opts.lineLength ?? 76;
  const inner = lineLength - (ncols + 1);
  if (!Number.isInteger(lineLength) || inner < ncols * 6) {
    throw new RangeError(`summary: lineLength must be an integer of at least ${ncols * 7 + 1}, received ${lineLength}.`);
  }
  // Keras' default look at 80 terminal columns: cells of 33/24/15 or 21/19/12/19 characters.
  const positions = opts.positions ?? (connected ? [21 / 71, 40 / 71, 52 / 71, 1] : [33 / 72, 57 / 72, 1]);
  if (positions.length !== ncols) throw new RangeError(`summary: positions needs ${ncols} entries, received ${positions.length}.`);
  const widths: number[] = [];
  let at = 0;
  for (const p of positions) {
    const end = Math.round(p * inner);
    widths.push(end - at);
    at = end;
  }
  const rule = (l: string, m: string, r: string, h: string) => l + widths.map((w) => h.repeat(w)).join(m) + r;
  const line = (cells: readonly string[], v: string) => {
    const wrapped = cells.map((c, i) => wrap(c, widths[i] - 2));
    const height = Math.max(...wrapped.map((w) => w.length));
    const out: string[] = [];
    for (let k = 0; k < height; k++) {
      const parts = wrapped.map((w, i) => {
        const t = w[k] ?? "";
        return ` ${i === 2 ? t.padStart(widths[i] - 2) : t.padEnd(widths[i] - 2)} `;
      });
      out.push(v + parts.join(v) + v);
    }
    return out;
  };
  const lines: string[] = [`Model: "${model.name}"`, rule("┏", "┳", "┓", "━"), ...line(header, "┃"), rule("┡", "╇", "┩", "━")];
  body.forEach((r, i) => {
    if (i > 0) lines.push(rule("├", "┼", "┤", "─"));
    lines.push(...line(connected ? [r.name, r.shape, r.params, r.connected!] : [r.name, r.shape, r.params], "│"));
  });
  lines.push(rule("└", "┴", "┘", "─"));
  let total = 0;
  let trainable = 0;
  let totalBytes = 0;
  let trainableBytes = 0;
  for (const e of model.variableEntries()) {
    const n = e.variable.shape.reduce((a, b) => a * b, 1);
    const bytes = n * (BYTES[e.variable.dtype] ?? 4);
    total += n;
    totalBytes += bytes;
    if (e.trainable) {
      trainable += n;
      trainableBytes += bytes;
    }
  }
  lines.push(
    ` Total params: ${thousands(total)} (${readableSize(totalBytes)})`,
    ` Trainable params: ${thousands(trainable)} (${readableSize(trainableBytes)})`,
    ` Non-trainable params: ${thousands(total - trainable)} (${readableSize(totalBytes - trainableBytes)})`,
  );
  const print = opts.printFn ?? ((s: string) => console.log(s));
  for (const l of lines) print(l);
  return lines.join("\n");
}
