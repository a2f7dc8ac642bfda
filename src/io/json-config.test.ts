import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ArchiveError, type ArchiveErrorCode, findDuplicateKey, parseConfigJson, validateConfig } from "./json-config.js";
import { propertyRuns } from "../../tests/helpers/assert.js";

function expectCode(fn: () => unknown, code: ArchiveErrorCode): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ArchiveError);
    expect((e as ArchiveError).code).toBe(code);
    return (e as Error).message;
  }
  throw new Error(`expected ArchiveError ${code}, but nothing was thrown`);
}

const keras = {
  class_name: "Sequential",
  config: {
    name: "sequential",
    layers: [
      { class_name: "InputLayer", config: { batch_shape: [null, 28, 28, 1], dtype: "float32" } },
      { class_name: "Dense", config: { units: 10, activation: "softmax", use_bias: true, kernel_initializer: { class_name: "GlorotUniform", config: { seed: null } } } },
    ],
  },
};

describe("parseConfigJson", () => {
  it("returns plain JSON data unchanged", () => {
    expect(parseConfigJson(JSON.stringify(keras))).toEqual(keras);
    expect(parseConfigJson("[1, -2.5e3, true, null, \"x\"]")).toEqual([1, -2500, true, null, "x"]);
  });

  it("rejects text that is not JSON, with the file's name", () => {
    expect(expectCode(() => parseConfigJson("{'a': 1}", {}, "optimizer.json"), "BAD_JSON")).toMatch(/^optimizer\.json: not valid JSON/);
    expectCode(() => parseConfigJson(""), "BAD_JSON");
    expectCode(() => parseConfigJson("{\"a\": NaN}"), "BAD_JSON");
  });

  it("rejects numbers that overflow to Infinity", () => {
    expectCode(() => parseConfigJson("{\"lr\": 1e400}"), "BAD_JSON");
  });

  it("rejects duplicate keys, which JSON.parse would drop silently", () => {
    expect(expectCode(() => parseConfigJson('{"units": 1, "units": 1000000}'), "DUPLICATE_KEY")).toMatch(/"units" appears twice/);
    expectCode(() => parseConfigJson('[{"a": {"b": 1, "c": 2, "b": 3}}]'), "DUPLICATE_KEY");
  });

  it("applies the size, depth, string, key and node limits", () => {
    expectCode(() => parseConfigJson("[1,2,3]", { maxBytes: 3 }), "TOO_LARGE");
    expectCode(() => parseConfigJson("[[[[1]]]]", { maxDepth: 3 }), "TOO_LARGE");
    expect(parseConfigJson("[[[1]]]", { maxDepth: 3 })).toEqual([[[1]]]);
    expectCode(() => parseConfigJson('"abcdef"', { maxStringLength: 5 }), "TOO_LARGE");
    expectCode(() => parseConfigJson('{"abcdef": 1}', { maxStringLength: 5 }), "TOO_LARGE");
    expectCode(() => parseConfigJson('{"a":1,"b":2,"c":3}', { maxKeys: 2 }), "TOO_LARGE");
    expectCode(() => parseConfigJson("[1,2,3]", { maxNodes: 3 }), "TOO_LARGE");
  });

  it("survives a very deep text without a stack overflow escaping", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expectCode(() => parseConfigJson(deep), "TOO_LARGE");
  });

  it("rejects keys that reach Object.prototype", () => {
    expectCode(() => parseConfigJson('{"config": {"__proto__": {"polluted": true}}}'), "BAD_JSON");
    expectCode(() => parseConfigJson('{"constructor": {"prototype": {}}}'), "BAD_JSON");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses content that looks like code, and says how to do it instead", () => {
    const code = [
      '{"activation": "function (x) { return x }"}',
      '{"activation": "async function f() {}"}',
      '{"activation": "x => x * 2"}',
      '{"activation": "(a, b) => a"}',
      '{"layer": "class Evil extends Layer { }"}',
      '{"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA"}}',
      '{"class_name": "Lambda", "config": {"function": {"function_type": "lambda", "value": "x"}}}',
      '{"module": "builtins", "class_name": "function", "config": "print"}',
    ];
    for (const text of code) expect(expectCode(() => parseConfigJson(text), "CODE_IN_CONFIG")).toMatch(/register|never/i);
  });

  it("accepts ordinary strings that merely mention code words", () => {
    const ok = { activation: "relu", name: "function_block_1", doc: "maps x to y => fine?", class_name: "Lambdaish", text: "class" };
    expect(parseConfigJson(JSON.stringify(ok))).toEqual(ok);
  });
});

describe("validateConfig", () => {
  it("rejects values JSON cannot hold (functions, class instances, undefined)", () => {
    expectCode(() => validateConfig({ activation: (x: number) => x }), "CODE_IN_CONFIG");
    expectCode(() => validateConfig({ when: new Date(0) }), "CODE_IN_CONFIG");
    expectCode(() => validateConfig({ a: undefined }), "CODE_IN_CONFIG");
    expectCode(() => validateConfig([1n]), "CODE_IN_CONFIG");
  });

  it("accepts every JSON value fast-check generates within the limits", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
        const text = JSON.stringify(v);
        let parsed: unknown;
        try {
          parsed = parseConfigJson(text);
        } catch (e) {
          // Random strings can contain "x=>" or forbidden keys; everything else must pass.
          expect(e).toBeInstanceOf(ArchiveError);
          expect(["CODE_IN_CONFIG", "BAD_JSON"]).toContain((e as ArchiveError).code);
          return;
        }
        expect(parsed).toEqual(JSON.parse(text));
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  it("mutated JSON texts parse or throw ArchiveError, nothing else", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.string({ maxLength: 3 }), (v, at, junk) => {
        const text = JSON.stringify(v);
        const i = at % (text.length + 1);
        try {
          parseConfigJson(text.slice(0, i) + junk + text.slice(i + 1));
        } catch (e) {
          if (!(e instanceof ArchiveError)) throw e;
        }
      }),
      { numRuns: propertyRuns(300) },
    );
  });
});

describe("findDuplicateKey", () => {
  it("finds duplicates per object, ignoring braces and quotes inside strings", () => {
    expect(findDuplicateKey('{"a": "}{\\"a\\": 1", "b": {"a": 2}}')).toBeUndefined();
    expect(findDuplicateKey('{"a": [{"x": 1}, {"x": 2}], "b": 1}')).toBeUndefined();
    expect(findDuplicateKey('{"a": [{"x": 1, "x": 2}]}')).toBe("x");
    expect(findDuplicateKey('{"\\u0061": 1, "a": 2}')).toBe("a");
    expect(findDuplicateKey('["a", "a"]')).toBeUndefined();
    expect(findDuplicateKey('{"a": "unterminated')).toBeUndefined(); // terminates on invalid text
  });

  it("agrees with a reference count on random objects", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "\"", "\\"), fc.jsonValue({ maxDepth: 1 })), { maxLength: 5 }), (pairs) => {
        const text = `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
        const keys = pairs.map(([k]) => k);
        const hasDup = new Set(keys).size !== keys.length;
        // Nested random values may hold their own duplicates only if generated so; jsonValue does not.
        expect(findDuplicateKey(text) !== undefined).toBe(hasDup);
      }),
      { numRuns: propertyRuns(200) },
    );
  });
});
