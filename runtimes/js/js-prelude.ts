/**
 * The JavaScript that sets up a step's QuickJS context before the step's code runs: the
 * `inputs` global, a `console` whose lines go to the step's stdout and stderr, the
 * `sandflow` object (step facts and the workspace files), and the function that calls
 * `run` and turns its result into JSON text, naming where a value JSON cannot hold is.
 *
 * The host passes one function, `host(op, a, b)`, which returns a string: a leading `!`
 * marks an error message. Results go back as tagged strings: `1<json>` or `2<problem>`.
 */
export const JS_PRELUDE = String.raw`(function (host, metaJson) {
  "use strict";
  const meta = JSON.parse(metaJson);
  const stringify = JSON.stringify, parse = JSON.parse;
  const isArray = Array.isArray, keys = Object.keys, isFinite = Number.isFinite;
  const freeze = Object.freeze, define = Object.defineProperty;
  let lastLog;
  function call(op, a, b) {
    const r = host(op, a, b);
    if (typeof r === "string" && r.charCodeAt(0) === 33) throw new Error(r.slice(1));
    return r;
  }
  function show(v) {
    if (typeof v === "string") return v;
    if (v === undefined || typeof v === "function" || typeof v === "symbol" || typeof v === "bigint")
      return String(v);
    if (v instanceof Error) return v.stack ? v.name + ": " + v.message + "\n" + v.stack : String(v);
    try {
      const s = stringify(v);
      return s === undefined ? String(v) : s;
    } catch (e) {
      return String(v);
    }
  }
  function line(args) {
    let text = "";
    for (let i = 0; i < args.length; i++) text += (i ? " " : "") + show(args[i]);
    return text;
  }
  const out = function () {
    const text = line(arguments);
    lastLog = text;
    host("emit", 1, text + "\n");
  };
  const err = function () {
    host("emit", 2, line(arguments) + "\n");
  };
  const consoleObject = freeze({ log: out, info: out, debug: out, trace: out, error: err, warn: err });
  define(globalThis, "console", { value: consoleObject, writable: true, configurable: true });
  const sandflow = freeze({
    attempt: meta.attempt,
    step_id: meta.step_id,
    run_id: meta.run_id,
    env: freeze(meta.env),
    readFile: (path) => call("read", String(path)),
    writeFile: (path, data) => {
      call("write", String(path), typeof data === "string" ? data : String(data));
    },
    removeFile: (path) => {
      call("remove", String(path));
    },
    listFiles: (dir) => parse(call("list", dir === undefined ? "/workspace" : String(dir))),
  });
  define(globalThis, "sandflow", { value: sandflow, writable: true, configurable: true });
  const inputs = parse(meta.inputs);
  define(globalThis, "inputs", { value: inputs, writable: true, configurable: true });

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
    if (depth > 200) throw new NotJson(path, "nesting deeper than 200 levels");
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
  function plainOutput() {
    if (lastLog === undefined) return "1null";
    const text = lastLog.trim();
    try {
      parse(text);
      return "1" + text;
    } catch (e) {
      return "1null";
    }
  }
  return function finish(run) {
    if (typeof run !== "function") return plainOutput();
    const r = run(inputs);
    if (r !== null && typeof r === "object" && typeof r.then === "function") return Promise.resolve(r).then(encode);
    return encode(r);
  };
})`;
