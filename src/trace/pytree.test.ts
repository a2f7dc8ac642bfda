import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { TreeMismatchError } from "../ir/index.js";
import {
  TreeDef, assertSameStructure, registerPyTreeNode, tree, treeFlatten, treeLeaves, treeMap, treeStructure, treeUnflatten,
} from "./pytree.js";
import { Leaf, leafTree, pytree } from "../../tests/property/generators.js";
import { propertyRuns } from "../../tests/helpers/assert.js";

class Point {
  constructor(readonly x: unknown, readonly y: unknown, readonly label = "p") {}
}
registerPyTreeNode(Point, {
  flatten: (p: Point) => [[p.x, p.y], p.label],
  unflatten: (label: string, [x, y]) => new Point(x, y, label),
});

describe("flatten and unflatten", () => {
  it("sorts object keys, so key order does not change the structure", () => {
    const [leaves, def] = treeFlatten({ w: 1, b: [2, 3] });
    expect(leaves).toEqual([2, 3, 1]);
    expect(def.toString()).toBe("PyTreeDef({b: [*, *], w: *})");
    expect(treeStructure({ b: [0, 0], w: 0 }).equals(def)).toBe(true);
  });
  it("keeps null and undefined as structure, not leaves", () => {
    const [leaves, def] = treeFlatten([null, undefined, { a: null }]);
    expect(leaves).toEqual([]);
    expect(def.numLeaves).toBe(0);
    expect(def.toString()).toBe("PyTreeDef([null, undefined, {a: null}])");
    expect(treeUnflatten(def, [])).toEqual([null, undefined, { a: null }]);
  });
  it("treats numbers, booleans, strings, class instances and typed arrays as leaves", () => {
    const f32 = new Float32Array(2);
    const d = new Date(0);
    expect(treeLeaves([1, true, "s", d, f32])).toEqual([1, true, "s", d, f32]);
  });
  it("a bare leaf and an empty container", () => {
    expect(treeFlatten(5)[1].toString()).toBe("PyTreeDef(*)");
    expect(treeFlatten([])[1].toString()).toBe("PyTreeDef([])");
    expect(treeFlatten({})[1].toString()).toBe("PyTreeDef({})");
  });
  it("registered classes flatten through their definition and keep aux data", () => {
    const [leaves, def] = treeFlatten({ p: new Point(1, [2, 3], "a") });
    expect(leaves).toEqual([1, 2, 3]);
    expect(def.toString()).toBe("PyTreeDef({p: Point(*, [*, *])})");
    const back = treeUnflatten(def, [10, 20, 30]) as { p: Point };
    expect(back.p).toBeInstanceOf(Point);
    expect([back.p.x, back.p.y, back.p.label]).toEqual([10, [20, 30], "a"]);
    // Different aux data is a different structure.
    expect(treeStructure(new Point(1, 2, "a")).equals(treeStructure(new Point(1, 2, "b")))).toBe(false);
  });
  it("isLeaf stops descent", () => {
    const [leaves, def] = treeFlatten({ a: [1, 2], b: [3] }, (x) => Array.isArray(x) && x.length === 2);
    expect(leaves).toEqual([[1, 2], 3]);
    expect(def.toString()).toBe("PyTreeDef({a: *, b: [*]})");
  });
  it("unflatten checks the leaf count", () => {
    const def = treeStructure([0, 0]);
    expect(() => treeUnflatten(def, [1])).toThrow(TreeMismatchError);
    expect(() => treeUnflatten(def, [1])).toThrow("treeUnflatten: PyTreeDef([*, *]) has 2 leaves but 1 values were given.");
  });
  it("structures compare by kind, keys, arity and nesting", () => {
    const s = (x: unknown) => treeStructure(x);
    expect(s([1, 2]).equals(s([3, 4]))).toBe(true);
    expect(s([1, 2]).equals(s([1]))).toBe(false);
    expect(s([1]).equals(s({ 0: 1 }))).toBe(false);
    expect(s({ a: 1 }).equals(s({ b: 1 }))).toBe(false);
    expect(s([[1]]).equals(s([1]))).toBe(false);
    expect(s(null).equals(s(undefined))).toBe(false);
    expect(s(1).children).toEqual([]);
    expect(s([1, [2]]).children.length).toBe(2);
    expect(new TreeDef({ kind: "leaf" }).numLeaves).toBe(1);
  });
});

describe("treeMap", () => {
  it("maps one tree and zips several", () => {
    expect(treeMap((x: number) => x * 2, { a: 1, b: [2, 3] })).toEqual({ a: 2, b: [4, 6] });
    expect(treeMap((x: number, y: number) => x + y, [1, { k: 2 }], [10, { k: 20 }])).toEqual([11, { k: 22 }]);
  });
  it("a structure mismatch names both structures", () => {
    const call = () => treeMap((a: number, b: number) => a + b, { w: 1, b: [2, 3] }, { w: 1, b: [2] });
    expect(call).toThrow(TreeMismatchError);
    expect(call).toThrow(
      "treeMap: argument 1 has a different structure from the first.\n" +
        "  first:  PyTreeDef({b: [*, *], w: *})\n  other:  PyTreeDef({b: [*], w: *})\nPass pytrees with the same nesting and keys.",
    );
  });
  it("assertSameStructure names what was compared", () => {
    expect(() => assertSameStructure("grad output", treeStructure([1]), treeStructure({ a: 1 }))).toThrow(
      "grad output: structures differ.\n  expected: PyTreeDef([*])\n  received: PyTreeDef({a: *})",
    );
    expect(() => assertSameStructure("x", treeStructure([1]), treeStructure([2]))).not.toThrow();
  });
  it("the tree namespace mirrors jax.tree", () => {
    expect(tree.leaves({ b: 2, a: 1 })).toEqual([1, 2]);
    expect(tree.map((x: number) => -x, [1])).toEqual([-1]);
    expect(tree.structure([1]).toString()).toBe("PyTreeDef([*])");
    const [l, d] = tree.flatten([1, 2]);
    expect(tree.unflatten(d, l)).toEqual([1, 2]);
    expect(tree.register).toBe(registerPyTreeNode);
  });
});

/** Rebuilds a tree with sorted object keys, which is what a round trip gives back. */
const canonical = (x: unknown): unknown => {
  if (Array.isArray(x)) return x.map(canonical);
  if (x && typeof x === "object" && !(x instanceof Leaf)) {
    return Object.fromEntries(Object.keys(x).sort().map((k) => [k, canonical((x as Record<string, unknown>)[k])]));
  }
  return x;
};

describe("properties", () => {
  const runs = { numRuns: propertyRuns(200) };
  it("unflatten(flatten(t)) rebuilds t", () => {
    fc.assert(fc.property(leafTree(), (t) => {
      const [leaves, def] = treeFlatten(t);
      expect(leaves.every((l) => l instanceof Leaf)).toBe(true);
      expect(def.numLeaves).toBe(leaves.length);
      expect(treeUnflatten(def, leaves)).toEqual(canonical(t));
    }), runs);
  });
  it("flatten(unflatten(def, xs)) gives back xs and def", () => {
    fc.assert(fc.property(leafTree(), (t) => {
      const def = treeStructure(t);
      const xs = Array.from({ length: def.numLeaves }, (_, i) => i * 10);
      const [leaves, def2] = treeFlatten(treeUnflatten(def, xs));
      expect(leaves).toEqual(xs);
      expect(def2.equals(def)).toBe(true);
      expect(def2.toString()).toBe(def.toString());
    }), runs);
  });
  it("treeMap with the identity is a round trip and preserves leaf order", () => {
    fc.assert(fc.property(pytree(fc.integer()), (t) => {
      expect(treeMap((x: unknown) => x, t)).toEqual(canonical(t));
      const order: number[] = [];
      treeMap((x: number) => order.push(x), t);
      expect(order).toEqual(treeLeaves(t));
    }), runs);
  });
  it("treeMap over two trees of one structure zips their leaves", () => {
    fc.assert(fc.property(pytree(fc.integer({ min: -100, max: 100 })), (t) => {
      const neg = treeMap((x: number) => -x, t);
      const zero = treeMap((a: number, b: number) => a + b, t, neg);
      expect(treeLeaves(zero).every((v) => v === 0)).toBe(true);
    }), runs);
  });
});
