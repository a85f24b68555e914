/**
 * The JavaScript a step's QuickJS context compiles besides the step: kept short, since a
 * context is fresh for every step and QuickJS compiles only a few characters per µs. The console,
 * `sandflow` and the workspace functions are made by the host through the C API instead.
 *
 * {@link JS_FINISH} is called with the inputs JSON: it sets the `inputs` global and returns
 * `finish(run)`, which calls `run(inputs)` and returns a tagged string, `1<json>`, or `3`
 * when the result holds a value JSON cannot (kept as `finish.bad` for {@link JS_EXPLAIN}),
 * or a promise of one for an async `run`.
 */
export const JS_FINISH =
  // Written compact on purpose: QuickJS compiles it for every step, at about 4 characters per µs.
  '(function(j){"use strict";const s=JSON.stringify,f=Number.isFinite,p=Promise.resolve.bind(Promise),i=JSON.parse(j);' +
  'Object.defineProperty(globalThis,"inputs",{value:i,writable:true,configurable:true});' +
  'function g(k,v){const t=typeof v;if(t==="undefined"||t==="function"||t==="symbol"||t==="bigint"||t==="number"&&!f(v))throw g;return v}' +
  'function e(v){try{return"1"+s(v,g)}catch(x){n.bad=v;return"3"}}' +
  'function n(r){const o=r(i);return o!==null&&typeof o==="object"&&typeof o.then==="function"?p(o).then(e):e(o)}' +
  "return n})";

/** Says where a result holds a value JSON cannot: `2<problem>` (or `1<json>` if it holds none after all). */
export const JS_EXPLAIN = `(function (value) {
  "use strict";
  const stringify = JSON.stringify, isArray = Array.isArray, keys = Object.keys, isFinite = Number.isFinite;
  function NotJson(path, what) {
    this.path = path;
    this.what = what;
  }
  function keyPath(path, k) {
    return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? path + "." + k : path + "[" + stringify(k) + "]";
  }
  function check(v, path, seen, depth) {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        if (!isFinite(v)) throw new NotJson(path, String(v));
        return v;
      case "undefined":
        throw new NotJson(path, "undefined");
      case "function":
        throw new NotJson(path, "a function");
      case "symbol":
        throw new NotJson(path, "a symbol");
      case "bigint":
        throw new NotJson(path, "a BigInt");
    }
    if (v === null) return v;
    if (typeof v.toJSON === "function") return check(v.toJSON(), path, seen, depth);
    if (seen.indexOf(v) >= 0) throw new NotJson(path, "an object that contains itself (a cycle)");
    if (depth > 200) throw new NotJson("result", "nested deeper than 200 levels");
    seen.push(v);
    if (isArray(v)) {
      for (let i = 0; i < v.length; i++) check(v[i], path + "[" + i + "]", seen, depth + 1);
    } else {
      const ks = keys(v);
      for (let i = 0; i < ks.length; i++) check(v[ks[i]], keyPath(path, ks[i]), seen, depth + 1);
    }
    seen.pop();
    return v;
  }
  function encode(v) {
    try {
      check(v, "result", [], 0);
    } catch (e) {
      if (e instanceof NotJson) return "2" + e.path + " is " + e.what + ", which is not JSON";
      throw e;
    }
    return "1" + stringify(v);
  }
  try {
    check(value, "result", [], 0);
  } catch (e) {
    if (e instanceof NotJson) return "2" + e.path + " is " + e.what + ", which is not JSON";
    throw e;
  }
  return "1" + stringify(value);
})`;
