/**
 * @file Pytrees: nested JS arrays, plain objects, null/undefined and registered classes, with
 * arrays (or scalars) at the leaves. Transformations flatten their arguments to leaves and
 * rebuild results from a TreeDef, as JAX's `tree_util` does. Object keys are sorted, so two
 * objects with the same keys have the same structure whatever order the keys were written in.
 */
import { TreeMismatchError } from "../ir/index.js";

/** Anything that can be flattened: containers of leaves. */
export type PyTree = unknown;

/** How a registered class is taken apart and rebuilt. */
export interface PyTreeNodeDef<T = unknown, Aux = unknown> {
  /** Children (themselves pytrees) and static auxiliary data. */
  flatten(x: T): [children: readonly unknown[], aux: Aux];
  unflatten(aux: Aux, children: readonly unknown[]): T;
}

const registry = new Map<Function, PyTreeNodeDef>();

/**
 * Registers a class as a pytree node.
 *
 * @example
 *   registerPyTreeNode(Point, { flatten: (p) => [[p.x, p.y], null], unflatten: (_, [x, y]) => new Point(x, y) });
 */
export function registerPyTreeNode<T, Aux>(cls: abstract new (...args: any[]) => T, def: PyTreeNodeDef<T, Aux>): void {
  registry.set(cls, def as PyTreeNodeDef);
}

type Node =
  | { readonly kind: "leaf" }
  | { readonly kind: "null" }
  | { readonly kind: "undefined" }
  | { readonly kind: "array"; readonly children: readonly TreeDef[] }
  | { readonly kind: "object"; readonly keys: readonly string[]; readonly children: readonly TreeDef[] }
  | { readonly kind: "custom"; readonly cls: Function; readonly aux: unknown; readonly children: readonly TreeDef[] };

/** The structure of a pytree, without its leaves. */
export class TreeDef {
  readonly numLeaves: number;
  constructor(readonly node: Node) {
    this.numLeaves =
      node.kind === "leaf" ? 1 : "children" in node ? node.children.reduce((a, c) => a + c.numLeaves, 0) : 0;
  }

  get children(): readonly TreeDef[] {
    return "children" in this.node ? this.node.children : [];
  }

  equals(other: TreeDef): boolean {
    const a = this.node;
    const b = other.node;
    if (a.kind !== b.kind) return false;
    if (a.kind === "object" && b.kind === "object") {
      if (a.keys.length !== b.keys.length || a.keys.some((k, i) => k !== b.keys[i])) return false;
    }
    if (a.kind === "custom" && b.kind === "custom") {
      if (a.cls !== b.cls || !auxEqual(a.aux, b.aux)) return false;
    }
    const ca = this.children;
    const cb = other.children;
    return ca.length === cb.length && ca.every((c, i) => c.equals(cb[i]));
  }

  /** JAX-like text: `PyTreeDef({b: [*, *], w: *})`. */
  toString(): string {
    return `PyTreeDef(${this.#str()})`;
  }

  #str(): string {
    const n = this.node;
    switch (n.kind) {
      case "leaf":
        return "*";
      case "null":
        return "null";
      case "undefined":
        return "undefined";
      case "array":
        return `[${n.children.map((c) => c.#str()).join(", ")}]`;
      case "object":
        return `{${n.keys.map((k, i) => `${k}: ${n.children[i].#str()}`).join(", ")}}`;
      case "custom":
        return `${n.cls.name}(${n.children.map((c) => c.#str()).join(", ")})`;
      default:
        return n satisfies never;
    }
  }
}

const auxEqual = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

const isPlainObject = (x: object): boolean => {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
};

const LEAF = new TreeDef({ kind: "leaf" });

function flattenInto(x: unknown, leaves: unknown[], isLeaf?: (x: unknown) => boolean): TreeDef {
  if (isLeaf?.(x)) {
    leaves.push(x);
    return LEAF;
  }
  if (x === null) return new TreeDef({ kind: "null" });
  if (x === undefined) return new TreeDef({ kind: "undefined" });
  if (Array.isArray(x)) {
    return new TreeDef({ kind: "array", children: x.map((c) => flattenInto(c, leaves, isLeaf)) });
  }
  if (typeof x === "object") {
    const def = registry.get((x as object).constructor);
    if (def) {
      const [children, aux] = def.flatten(x);
      return new TreeDef({
        kind: "custom",
        cls: (x as object).constructor,
        aux,
        children: children.map((c) => flattenInto(c, leaves, isLeaf)),
      });
    }
    if (isPlainObject(x as object)) {
      const keys = Object.keys(x as object).sort();
      const rec = x as Record<string, unknown>;
      return new TreeDef({ kind: "object", keys, children: keys.map((k) => flattenInto(rec[k], leaves, isLeaf)) });
    }
  }
  leaves.push(x);
  return LEAF;
}

/**
 * Flattens a pytree into its leaves (in order) and its structure.
 *
 * @example treeFlatten({ w: a, b: [c, d] }) // [[c, d, a], PyTreeDef({b: [*, *], w: *})]
 */
export function treeFlatten(x: PyTree, isLeaf?: (x: unknown) => boolean): [unknown[], TreeDef] {
  const leaves: unknown[] = [];
  const def = flattenInto(x, leaves, isLeaf);
  return [leaves, def];
}

/** Rebuilds a pytree of structure `def` from `leaves`. */
export function treeUnflatten(def: TreeDef, leaves: readonly unknown[]): PyTree {
  if (leaves.length !== def.numLeaves) {
    throw new TreeMismatchError(
      `treeUnflatten: ${def} has ${def.numLeaves} leaves but ${leaves.length} values were given.`,
    );
  }
  let i = 0;
  const build = (d: TreeDef): unknown => {
    const n = d.node;
    switch (n.kind) {
      case "leaf":
        return leaves[i++];
      case "null":
        return null;
      case "undefined":
        return undefined;
      case "array":
        return n.children.map(build);
      case "object": {
        const o: Record<string, unknown> = {};
        n.keys.forEach((k, j) => (o[k] = build(n.children[j])));
        return o;
      }
      case "custom":
        return registry.get(n.cls)!.unflatten(n.aux, n.children.map(build));
      default:
        return n satisfies never;
    }
  };
  return build(def);
}

/** The leaves of a pytree, in flattening order. */
export const treeLeaves = (x: PyTree, isLeaf?: (x: unknown) => boolean): unknown[] => treeFlatten(x, isLeaf)[0];

/** The structure of a pytree. */
export const treeStructure = (x: PyTree, isLeaf?: (x: unknown) => boolean): TreeDef => treeFlatten(x, isLeaf)[1];

/**
 * Applies `f` to corresponding leaves of `tree` and `rest`, which must share its structure.
 *
 * @example treeMap((a, b) => a.add(b), params, grads)
 */
export function treeMap(f: (...leaves: any[]) => unknown, tree: PyTree, ...rest: PyTree[]): PyTree {
  const [leaves, def] = treeFlatten(tree);
  const others = rest.map((r, k) => {
    const [l, d] = treeFlatten(r);
    if (!d.equals(def)) {
      throw new TreeMismatchError(
        `treeMap: argument ${k + 1} has a different structure from the first.\n` +
          `  first:  ${def}\n  other:  ${d}\nPass pytrees with the same nesting and keys.`,
      );
    }
    return l;
  });
  return treeUnflatten(def, leaves.map((x, i) => f(x, ...others.map((o) => o[i]))));
}

/** Throws a TreeMismatchError naming `what` unless both structures are equal. */
export function assertSameStructure(what: string, expected: TreeDef, received: TreeDef): void {
  if (!expected.equals(received)) {
    throw new TreeMismatchError(`${what}: structures differ.\n  expected: ${expected}\n  received: ${received}`);
  }
}

/** The `tree` namespace, mirroring `jax.tree`. */
export const tree = {
  flatten: treeFlatten,
  unflatten: treeUnflatten,
  leaves: treeLeaves,
  structure: treeStructure,
  map: treeMap,
  register: registerPyTreeNode,
};
