/**
 * @file Formats the benchmark results as a plain-text table: one row per workload, one column
 * per library, then the time ratio of each peer to Kiln, with numbered notes for anything that
 * is not a plain median (n/a, errors, time-outs, single runs, checksum disagreements).
 */
import type { Message } from "./harness.js";
import type { WorkloadSpec } from "./inputs.js";

export type Meta = Extract<Message, { kind: "meta" }>;
export type Result = Omit<Extract<Message, { kind: "result" }>, "status"> & { status: "ok" | "n/a" | "error" | "timeout" };

export interface TableInput {
  header: string[];
  /** Columns; `short` names the library in the ratio headers (default: its title). */
  libs: { name: string; title: string; short?: string }[];
  specs: WorkloadSpec[];
  meta: Meta[];
  results: Result[];
}

/** A cell's value in milliseconds (what ratios use), or why there is none. */
type Cell = { ms: number; notes: string[] } | { ms?: undefined; label: string; notes: string[] };

function fmt(x: number): string {
  if (!Number.isFinite(x)) return "?";
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

const sameCheck = (a: number, b: number) => Math.abs(a - b) <= 1e-3 * Math.max(Math.abs(a), Math.abs(b), 1);

function cellFor(spec: WorkloadSpec, lib: string, meta: Meta | undefined, byId: Map<string, Result>): Cell {
  const id = spec.id === "mlp-jit-compile" ? "mlp-step" : spec.id;
  const r = byId.get(id);
  if (!r) return { label: "-", notes: [] };
  if (r.status !== "ok" || r.medianMs === undefined) {
    const label = r.status === "n/a" ? "n/a" : r.status;
    return { label, notes: [`${lib} ${id}: ${r.reason ?? r.status}`] };
  }
  if (spec.id === "mlp-jit-compile") {
    if (meta && !meta.jit) return { label: "n/a", notes: [`${lib} has no jit: training steps run op by op`] };
    const ms = (r.firstMs ?? NaN) - r.medianMs;
    if (ms > 0) return { ms, notes: [] };
    return { label: "~0", notes: [`${lib}: the first MLP call was no slower than the median call (within timing noise)`] };
  }
  const notes: string[] = [];
  if (spec.id === "elementwise" && meta && !meta.jit) notes.push(`${lib} has no jit: the chain runs op by op`);
  if (spec.id !== "cold-start" && r.timesMs?.length === 1) notes.push("single timed run (it took over 5 s)");
  return { ms: r.medianMs, notes };
}

function shown(spec: WorkloadSpec, ms: number): number {
  if (spec.unit === "GFLOP/s" && spec.flops) return spec.flops / ms / 1e6;
  if (spec.unit === "µs/op" && spec.ops) return (ms * 1000) / spec.ops;
  return ms;
}

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join("  ")).join("\n");
}

/** The table, its header lines and its numbered notes, ready to print. */
export function renderTable(t: TableInput): string {
  const noteIds = new Map<string, number>();
  const mark = (notes: string[]) =>
    notes.map((n) => {
      if (!noteIds.has(n)) noteIds.set(n, noteIds.size + 1);
      return `[${noteIds.get(n)}]`;
    }).join("");
  const peers = t.libs.slice(1);
  const rows: string[][] = [["workload", "unit", ...t.libs.map((l) => l.title), ...peers.map((p) => `${p.short ?? p.title}/${t.libs[0].short ?? t.libs[0].title}`)]];
  for (const spec of t.specs) {
    const cells = t.libs.map((l) => {
      const byId = new Map(t.results.filter((r) => r.lib === l.name).map((r) => [r.id, r]));
      return cellFor(spec, l.name, t.meta.find((m) => m.lib === l.name), byId);
    });
    if (spec.comparable) {
      const checks = t.libs.map((l) => t.results.find((r) => r.lib === l.name && r.id === spec.id)?.check);
      const ref = checks.find((c) => c !== undefined);
      checks.forEach((c, i) => {
        if (c !== undefined && ref !== undefined && !sameCheck(c, ref)) {
          cells[i].notes.push(`${t.libs[i].name} ${spec.id}: checksum ${c} differs from ${ref}`);
        }
      });
    }
    const values = cells.map((c) => (c.ms === undefined ? c.label : fmt(shown(spec, c.ms))) + mark(c.notes));
    const base = cells[0].ms;
    const ratios = cells.slice(1).map((c) => (c.ms === undefined || base === undefined ? "-" : `${fmt(c.ms / base)}x`));
    rows.push([spec.title, spec.unit, ...values, ...ratios]);
  }
  const libLine = t.libs.map((l) => {
    const m = t.meta.find((x) => x.lib === l.name);
    return m ? `${l.title} ${m.version} [${m.backend}]` : l.title;
  }).join(" | ");
  const notes = [...noteIds].map(([n, i]) => `[${i}] ${n}`);
  return [...t.header, libLine, "", pad(rows), ...(notes.length ? ["", ...notes] : [])].join("\n");
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|warp/i;

/**
 * The webgpu table's extra notes: the GPU work each library launched per run (counted by
 * bench/gpu.ts), and the adapter, flagged when it is a software rasterizer, whose figures
 * measure overhead rather than GPU speed.
 */
export function gpuNotes(libs: { name: string; title: string }[], specs: WorkloadSpec[], meta: Meta[], results: Result[]): string[] {
  const lines: string[] = [];
  const work: string[] = [];
  for (const spec of specs) {
    const per = spec.unit === "µs/op" && spec.ops ? spec.ops : 1;
    const cells = libs.flatMap((l) => {
      const c = results.find((r) => r.lib === l.name && r.id === spec.id)?.perRun;
      if (!c || c.dispatches === undefined) return [];
      const n = (x: number) => (Number.isInteger(x) ? String(x) : fmt(x));
      const host = c.hostSteps ? ` + ${n(c.hostSteps / per)} host steps` : "";
      return [`${l.title} ${n(c.dispatches / per)}/${n(c.submits / per)}${host}`];
    });
    if (cells.length) work.push(`  ${spec.id}${per > 1 ? " (per op)" : ""}: ${cells.join(", ")}`);
  }
  if (work.length) lines.push("", "GPU work per timed run (compute dispatches / queue submits):", ...work);
  const adapters = new Map<string, string[]>();
  for (const l of libs) {
    const m = meta.find((x) => x.lib === l.name);
    if (!m?.adapter) continue;
    const key = `${m.adapter} (isFallbackAdapter: ${m.fallback ?? "?"})`;
    adapters.set(key, [...(adapters.get(key) ?? []), l.title]);
  }
  if (adapters.size === 0) return lines;
  lines.push("");
  for (const [a, who] of adapters) lines.push(`Adapter${adapters.size > 1 ? ` of ${who.join(", ")}` : ""}: ${a}`);
  const software = meta.some((m) => libs.some((l) => l.name === m.lib) && m.adapter && (m.fallback || SOFTWARE.test(m.adapter)));
  if (software) {
    lines.push(
      "NOTE: a software adapter (a Vulkan driver running on the CPU, no GPU): these figures measure each library's",
      "WebGPU overhead (kernel launches, submits, readbacks, shader quality on a CPU), not GPU speed.",
    );
  }
  return lines;
}
