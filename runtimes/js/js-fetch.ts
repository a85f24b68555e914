/**
 * `fetch` for JavaScript steps: a small Fetch API (fetch, Response, Headers) over the
 * host's checked fetch (StepInvocation.net). The request is made when `fetch` is called
 * (the worker blocks until the host answers) and the promise settles at once. The shim is
 * compiled once per worker (FETCH_JS, made before the memory image) and installed only for a
 * step with a grant whose code mentions `fetch`; without a grant `fetch` is not defined, as
 * in every other step.
 */
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import type { StepInvocation } from "../worker/language-runtime.js";

/** Evaluates to a function that installs fetch, Headers and Response given the raw request function. */
export const FETCH_JS =
  '(function(raw){"use strict";' +
  "class Headers{constructor(l){this._l=[];if(l instanceof Headers)l=l._l;if(Array.isArray(l))for(const e of l)this._l.push([String(e[0]),String(e[1])]);" +
  "else if(l)for(const k of Object.keys(l))this._l.push([k,String(l[k])])}" +
  "get(n){n=String(n).toLowerCase();const v=this._l.filter(e=>e[0].toLowerCase()===n).map(e=>e[1]);return v.length?v.join(', '):null}" +
  "has(n){return this.get(n)!==null}forEach(f){for(const e of this._l)f(e[1],e[0],this)}entries(){return this._l[Symbol.iterator]()}" +
  "[Symbol.iterator](){return this._l[Symbol.iterator]()}}" +
  "class Response{constructor(r){this.status=r.status;this.statusText=r.statusText;this.url=r.url;this.ok=r.status>=200&&r.status<300;" +
  "this.headers=new Headers(r.headers);this._t=r.text;this._b=r.body}" +
  "text(){return Promise.resolve(this._t)}json(){return Promise.resolve(this._t).then(JSON.parse)}arrayBuffer(){return Promise.resolve(this._b)}}" +
  "function fetch(input,init){return new Promise(function(ok){init=init||{};const b=init.body;" +
  "ok(new Response(raw(String(input&&input.url||input),String(init.method||'GET'),JSON.stringify(new Headers(init.headers)._l),b===undefined||b===null?undefined:String(b))))})}" +
  'for(const [k,v] of [["fetch",fetch],["Headers",Headers],["Response",Response]])Object.defineProperty(globalThis,k,{value:v,writable:true,configurable:true})})';

/**
 * Installs fetch in a step's context when its code mentions it, with `installer` (FETCH_JS
 * evaluated in that context). Returns the error the installation threw, if any.
 */
export function installFetch(
  ctx: QuickJSContext,
  inv: StepInvocation,
  installer: QuickJSHandle,
): QuickJSHandle | undefined {
  if (!inv.net?.granted || !inv.code.includes("fetch")) return undefined;
  const raw = ctx.newFunction("sandflowFetch", (url, method, headersJson, body) => {
    const net = inv.net;
    const request = {
      url: ctx.getString(url),
      method: ctx.getString(method),
      headers: JSON.parse(ctx.getString(headersJson)) as [string, string][],
      ...(body && ctx.typeof(body) === "string"
        ? { body: new TextEncoder().encode(ctx.getString(body)) }
        : {}),
    };
    const result = net
      ? net(request)
      : { ok: false as const, error: { name: "NetworkDeniedError", message: "this worker has no network" } };
    if (!result.ok) return { error: ctx.newError(result.error) };
    const r = result.response;
    const out = ctx.newObject();
    const set = (name: string, h: QuickJSHandle) => {
      ctx.setProp(out, name, h);
      h.dispose();
    };
    set("status", ctx.newNumber(r.status));
    set("statusText", ctx.newString(r.statusText));
    set("url", ctx.newString(r.url));
    const headers = ctx.newArray();
    r.headers.forEach(([k, v], i) => {
      const pair = ctx.newArray();
      const hk = ctx.newString(k);
      const hv = ctx.newString(v);
      ctx.setProp(pair, 0, hk);
      ctx.setProp(pair, 1, hv);
      hk.dispose();
      hv.dispose();
      ctx.setProp(headers, i, pair);
      pair.dispose();
    });
    set("headers", headers);
    set("text", ctx.newString(new TextDecoder().decode(r.body)));
    set("body", ctx.newArrayBuffer(r.body.slice().buffer));
    return out;
  });
  const installed = ctx.callFunction(installer, ctx.undefined, raw);
  raw.dispose();
  if (installed.error) return installed.error;
  installed.value.dispose();
  return undefined;
}
