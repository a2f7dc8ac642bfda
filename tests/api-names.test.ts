/**
 * @file The public `np` and `lax` names: every exported name is a function (or a namespace of
 * functions), `np` offers more than 250 of them, and the set equals the list in api-names.ts, so
 * removing or renaming a public function fails here.
 */
import { describe, expect, it } from "vitest";
import { lax, np } from "../src/index.js";
import { LAX_NAMES, NP_NAMES } from "./api-names.js";

/** Exported names, namespaces expanded as dotted names after their own name. */
function names(ns: object, prefix = ""): string[] {
  return Object.keys(ns).sort().flatMap((k) => {
    const v = (ns as Record<string, unknown>)[k];
    return typeof v === "object" && v !== null ? [prefix + k, ...names(v, `${prefix}${k}.`)] : [prefix + k];
  });
}

const lookup = (ns: object, dotted: string): unknown =>
  dotted.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], ns);

describe("public API names", () => {
  it("np has more than 250 top-level names", () => {
    const count = Object.keys(np).length;
    console.log(`np: ${count} top-level names (${names(np).length} with namespaces); lax: ${names(lax).length} names`);
    expect(count).toBeGreaterThan(250);
  });

  for (const [label, ns, expected] of [["np", np, NP_NAMES], ["lax", lax, LAX_NAMES]] as const) {
    it(`every ${label} name is a function or a namespace`, () => {
      const bad = names(ns).filter((n) => {
        const v = lookup(ns, n);
        return typeof v !== "function" && !(typeof v === "object" && v !== null);
      });
      expect(bad).toEqual([]);
    });

    it(`${label} exports exactly the expected names`, () => {
      const got = new Set(names(ns));
      const want = new Set(expected);
      const missing = [...want].filter((n) => !got.has(n));
      const added = [...got].filter((n) => !want.has(n));
      expect({ missing, added }, "update tests/api-names.ts on purpose when the public API changes").toEqual({ missing: [], added: [] });
    });
  }
});
