/**
 * The JavaScript a QuickJS context compiles besides the steps, once per memory image
 * (js-runtime.ts): the console, `sandflow` and the workspace functions are made by the host
 * through the C API.
 *
 * {@link JS_BEGIN} is called with the `sandflow` object and returns `begin`, kept by the host
 * (no step can reach it). Before each step, `begin(inputsJson, contextJson, envJson, stepId,
 * runId, attempt)` sets the `inputs` global and the step's members of `sandflow`, and returns
 * `finish(run)`, which calls `run(inputs)` and returns a tagged string, `1<json>`, or `3`
 * when the result holds a value JSON cannot (kept as `finish.bad` for {@link JS_EXPLAIN}),
 * or a promise of one for an async `run`. The built-ins it uses are taken before any step
 * runs.
 */
export const JS_BEGIN = `(function (sandflow) {
  "use strict";
  const stringify = JSON.stringify, parse = JSON.parse, isFinite = Number.isFinite;
  const resolve = Promise.resolve.bind(Promise), define = Object.defineProperty;
  function check(k, v) {
    const t = typeof v;
    if (t === "undefined" || t === "function" || t === "symbol" || t === "bigint" || (t === "number" && !isFinite(v))) throw check;
    return v;
  }
  return function begin(inputsJson, contextJson, envJson, stepId, runId, attempt) {
    const inputs = parse(inputsJson), context = parse(contextJson);
    define(globalThis, "inputs", { value: inputs, writable: true, configurable: true });
    sandflow.attempt = attempt;
    sandflow.step_id = stepId;
    sandflow.run_id = runId;
    sandflow.env = parse(envJson);
    for (const name of ["params", "item", "index"]) {
      if (context[name] !== undefined) sandflow[name] = context[name];
      else delete sandflow[name];
    }
    function encode(v) {
      try {
        return "1" + stringify(v, check);
      } catch (x) {
        finish.bad = v;
        return "3";
      }
    }
    function finish(run) {
      const out = run(inputs);
      return out !== null && typeof out === "object" && typeof out.then === "function" ? resolve(out).then(encode) : encode(out);
    }
    return finish;
  };
})`;

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
