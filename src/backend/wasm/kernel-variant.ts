/**
 * @file Which build of the Rust kernels this runtime runs. src/codegen/kernels is built twice
 * (scripts/build-kernels.sh): kiln_kernels_relaxed.wasm, whose multiply-adds are relaxed-SIMD
 * `f32x4.relaxed_madd` (one fused multiply-add on x86-64 with FMA3 and on arm64), and
 * kiln_kernels.wasm, plain SIMD128. The relaxed one is chosen where the runtime validates a tiny
 * relaxed-SIMD module. Node 20's V8 keeps relaxed SIMD behind `--experimental-wasm-relaxed-simd`,
 * which NODE_OPTIONS refuses, so the flag is set at run time (only when validation fails without
 * it) before any kernel module is compiled; browsers and Node >= 22 have it on by default.
 */

/** The two builds of the kernels: relaxed-SIMD FMA, or plain SIMD128 (mul + add). */
export type KernelVariant = "relaxed" | "plain";
export const KERNEL_VARIANTS: readonly KernelVariant[] = ["relaxed", "plain"];

/** File name of each build in src/codegen/kernels/ (and dist/codegen/kernels/). */
export const KERNEL_FILES: Readonly<Record<KernelVariant, string>> = {
  relaxed: "kiln_kernels_relaxed.wasm",
  plain: "kiln_kernels.wasm",
};

type Proc = { getBuiltinModule?: (id: string) => unknown; env?: Record<string, string | undefined>; versions?: { node?: string } };
const proc = (globalThis as { process?: Proc }).process;
const isNode = typeof proc?.versions?.node === "string";

/**
 * A module with one function running `f32x4.relaxed_madd` on three zero vectors: it validates
 * exactly where the runtime accepts relaxed SIMD. Sections: type () -> (), one function, its body.
 */
const RELAXED_PROBE = (() => {
  const v128Zero = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
  const body = [0x00, ...v128Zero, ...v128Zero, ...v128Zero, 0xfd, 0x85, 0x02, 0x1a, 0x0b]; // no locals; madd; drop; end
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00,
    0x0a, body.length + 2, 0x01, body.length, ...body,
  ]);
})();

let relaxedSupport: boolean | undefined;

/**
 * Whether this runtime runs relaxed SIMD. In Node, where V8 keeps it behind
 * `--experimental-wasm-relaxed-simd` (Node 20), the flag is set first, only if validation fails
 * without it; V8 reads it when a module is compiled, so it must happen before the kernels compile.
 * @example
 * relaxedSimdSupported(); // true in Node >= 20 and Chrome >= 114
 */
export function relaxedSimdSupported(): boolean {
  if (relaxedSupport !== undefined) return relaxedSupport;
  const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  let ok = false;
  try {
    ok = wasm.validate(RELAXED_PROBE);
    if (!ok && isNode) {
      const v8 = proc?.getBuiltinModule?.("node:v8") as { setFlagsFromString(flag: string): void } | undefined;
      v8?.setFlagsFromString("--experimental-wasm-relaxed-simd");
      ok = wasm.validate(RELAXED_PROBE);
    }
  } catch {
    ok = false; // no WebAssembly.validate, or a runtime that refuses the flag: plain SIMD
  }
  relaxedSupport = ok;
  return ok;
}

/**
 * The build the loaders use: "relaxed" where `relaxedSimdSupported()`, else "plain". The
 * environment variable KILN_KERNELS=plain forces the plain build (to compare the two).
 * @example
 * kernelVariant(); // "relaxed" in Node 20
 */
export function kernelVariant(): KernelVariant {
  if (proc?.env?.KILN_KERNELS === "plain") return "plain";
  return relaxedSimdSupported() ? "relaxed" : "plain";
}

