/**
 * @file `npm run bench`: runs Kiln and its peers (jax-js, tfjs-backend-wasm) side by side, one
 * child process per library so no library's allocator, JIT warm-up or wasm memory can slow
 * another, and prints a table with time ratios; then the same libraries on WebGPU (Kiln's
 * webgpu backend, jax-js' webgpu device, tfjs-backend-webgpu, all on one Dawn adapter) in a
 * second table. Each child reports JSON lines (bench/harness.ts); this parent enforces a
 * per-workload time limit by killing a child that overruns and restarting it on the remaining
 * workloads.
 *
 * Run: npm run bench [-- --quick --cpu|--gpu --only=matmul,mlp-step --limit=SECONDS --libs=kiln,jax-js --backend=wasm]
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { buildKiln, coldStart } from "./cold.js";
import { DERIVED, DERIVED_GPU, type WorkloadSpec, parseOptions, selected, sizesFor, workloads } from "./inputs.js";
import { progress, runChildProcess } from "./spawn.js";
import { type Meta, type Result, gpuNotes, renderTable } from "./table.js";

interface Lib {
  /** The name results carry (a child's `Library.name`). */
  name: string;
  /** What `--libs` also accepts for it: kiln, jax-js, tfjs. */
  family: string;
  title: string;
  /** The ratio headers' name, where the title is long. */
  short?: string;
  file: string;
  gpu: boolean;
}

/** The libraries, in table column order; Kiln first, ratios are relative to it. */
const LIBS: Lib[] = [
  { name: "kiln", family: "kiln", title: "Kiln", file: "bench/lib-kiln.ts", gpu: false },
  { name: "jax-js", family: "jax-js", title: "jax-js", file: "bench/lib-jax.ts", gpu: false },
  { name: "tfjs-wasm", family: "tfjs", title: "tfjs-wasm", file: "bench/lib-tfjs.ts", gpu: false },
];
/** The webgpu table's columns: the same adapters, started with `--gpu`. */
const GPU_LIBS: Lib[] = [
  { name: "kiln-webgpu", family: "kiln", title: "Kiln webgpu", short: "Kiln", file: "bench/lib-kiln.ts", gpu: true },
  { name: "jax-js-webgpu", family: "jax-js", title: "jax-js webgpu", short: "jax-js", file: "bench/lib-jax.ts", gpu: true },
  { name: "tfjs-webgpu", family: "tfjs", title: "tfjs-webgpu", short: "tfjs", file: "bench/lib-tfjs.ts", gpu: true },
];

const argv = process.argv.slice(2);
const opts = parseOptions(argv);
const libsArg = argv.find((a) => a.startsWith("--libs="))?.slice(7).split(",");
const jsonOut = argv.find((a) => a.startsWith("--json="))?.slice(7);
const pick = (all: Lib[]) => all.filter((l) => !libsArg || libsArg.includes(l.name) || libsArg.includes(l.family));
// --cpu / --gpu pick one table; neither runs both.
const libs = opts.gpu && !opts.cpu ? [] : pick(LIBS);
const gpuLibs = opts.cpu && !opts.gpu ? [] : pick(GPU_LIBS);
if (libs.length + gpuLibs.length === 0) {
  throw new RangeError(`bench: --libs matched no library; expected some of ${[...LIBS, ...GPU_LIBS].map((l) => l.name).join(", ")} (or kiln, jax-js, tfjs).`);
}

const sizes = sizesFor(opts.quick);

/** One table's rows, and the workload ids its children must run. */
function plan(gpu: boolean) {
  const specs = [...workloads(sizes, gpu), ...(gpu ? DERIVED_GPU : DERIVED)];
  const chosen = specs.filter((w) => selected(w.id, opts.only));
  // The compile-time row is the MLP step's first call minus its steady-state call.
  const childIds = workloads(sizes, gpu)
    .filter((w) => selected(w.id, opts.only) || (w.id === "mlp-step" && chosen.some((c) => c.id === "mlp-jit-compile")))
    .map((w) => w.id);
  return { specs, chosen, childIds };
}
const cpuPlan = plan(false);
const gpuPlan = plan(true);
if ((libs.length === 0 || cpuPlan.chosen.length === 0) && (gpuLibs.length === 0 || gpuPlan.chosen.length === 0)) {
  const ids = new Set([...(libs.length ? cpuPlan.specs : []), ...(gpuLibs.length ? gpuPlan.specs : [])].map((w) => w.id));
  throw new RangeError(`bench: --only matched no workload; ids are ${[...ids].join(", ")}.`);
}

const modeArgs = [...(opts.quick ? ["--quick"] : []), ...(opts.backend ? [`--backend=${opts.backend}`] : [])];

/** Runs every selected workload of one library, restarting the child after a timeout or crash. */
async function runLibrary(lib: Lib, childIds: string[], meta: Meta[], results: Result[]): Promise<void> {
  let remaining = [...childIds];
  while (remaining.length > 0) {
    const args = ["--import", "tsx", lib.file, "--child", ...modeArgs, ...(lib.gpu ? ["--gpu"] : []), `--only=${remaining.join(",")}`];
    const o = await runChildProcess(args, opts.limitS, true);
    for (const m of o.messages) {
      if (m.kind === "meta" && !meta.some((x) => x.lib === m.lib)) meta.push(m);
      if (m.kind === "result") {
        results.push(m);
        remaining = remaining.filter((id) => id !== m.id);
      }
    }
    const stuck = o.timedOut ?? o.crashed?.split(":")[0];
    if (!stuck) break;
    const reason = o.timedOut ? `over the ${opts.limitS} s limit` : (o.crashed ?? "crashed");
    const failed = stuck === "(startup)" ? remaining : [stuck];
    for (const id of failed) results.push({ kind: "result", lib: lib.name, id, status: o.timedOut ? "timeout" : "error", reason });
    progress(`  ${lib.name} ${failed.join(", ")}: ${reason}`);
    remaining = remaining.filter((id) => !failed.includes(id));
  }
}

/** The cold-start row of the CPU table: fresh processes, measured in bench/cold.ts. */
async function coldStartRow(chosen: WorkloadSpec[]): Promise<void> {
  if (!chosen.some((w) => w.id === "cold-start")) return;
  progress("cold start:");
  let kilnIndex = "";
  try {
    if (libs.some((l) => l.name === "kiln")) kilnIndex = await buildKiln();
  } catch (e) {
    results.push({ kind: "result", lib: "kiln", id: "cold-start", status: "error", reason: `building src/ for the cold start failed: ${String(e).split("\n")[0]}` });
  }
  for (const lib of libs) {
    if (lib.name === "kiln" && !kilnIndex) continue;
    results.push(await coldStart(lib.name, opts.quick ? 1 : 3, opts.limitS, kilnIndex, opts.backend));
  }
}

const meta: Meta[] = [];
const results: Result[] = [];
const started = performance.now();
const load = loadavg().map((x) => x.toFixed(2)).join(" ");
const cpu = cpus();
const machine = `Node ${process.version}, ${cpu[0]?.model ?? "unknown CPU"} (${cpu.length} cores), load average at start ${load}`;
const runKind = opts.quick ? "quick run" : "full run";
const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(0);
const tables: string[] = [];

if (libs.length > 0 && cpuPlan.chosen.length > 0) {
  const { chosen, childIds } = cpuPlan;
  progress(`bench: ${chosen.map((w) => w.id).join(", ")}; ${libs.map((l) => l.name).join(", ")}; limit ${opts.limitS} s per workload${opts.quick ? "; quick" : ""}`);
  for (const lib of libs) {
    progress(`${lib.title}:`);
    if (childIds.length > 0) await runLibrary(lib, childIds, meta, results);
  }
  await coldStartRow(chosen);
  const header = [
    machine,
    `${runKind}, ${seconds(started)} s; medians after warm-up; ratio = peer time / Kiln time (> 1: Kiln faster)`,
  ];
  tables.push(renderTable({ header, libs: libs.map((l) => ({ name: l.name, title: l.title })), specs: chosen, meta, results }));
}

if (gpuLibs.length > 0 && gpuPlan.chosen.length > 0) {
  const { chosen, childIds } = gpuPlan;
  const gpuStarted = performance.now();
  const gpuLoad = loadavg().map((x) => x.toFixed(2)).join(" ");
  progress(`bench webgpu: ${chosen.map((w) => w.id).join(", ")}; ${gpuLibs.map((l) => l.name).join(", ")}; limit ${opts.limitS} s per workload${opts.quick ? "; quick" : ""}`);
  for (const lib of gpuLibs) {
    progress(`${lib.title}:`);
    if (childIds.length > 0) await runLibrary(lib, childIds, meta, results);
  }
  const header = [
    `WebGPU in Node through Dawn (the 'webgpu' package), one adapter for all; load average at start ${gpuLoad}`,
    `${runKind}, ${seconds(gpuStarted)} s; medians after warm-up; every run ends with its result read back (await data()), no separate GPU sync;`,
    `ratio = peer time / Kiln webgpu time (> 1: Kiln faster)`,
  ];
  const table = renderTable({ header, libs: gpuLibs.map((l) => ({ name: l.name, title: l.title, short: l.short })), specs: chosen, meta, results });
  tables.push([table, ...gpuNotes(gpuLibs, chosen, meta, results)].join("\n"));
}

console.log(tables.join("\n\n"));
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ options: opts, meta, results }, null, 2)}\n`);
