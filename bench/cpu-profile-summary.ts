/**
 * Reads V8 .cpuprofile files and tells where the time goes: self time per function and
 * per source (package or project file), as shares of the busy time (idle excluded),
 * optionally only within a window of the monotonic clock (to leave start-up out).
 *
 *   node dist/bench/cpu-profile-summary.js FILE.cpuprofile [FROM_US TO_US]
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A line of the summary: a name and its share of the busy time. */
export interface Share {
  readonly name: string;
  readonly ms: number;
  readonly percent: number;
}

/** Where one profile's time went. */
export interface ProfileSummary {
  readonly busyMs: number;
  readonly idleMs: number;
  readonly functions: readonly Share[];
  readonly sources: readonly Share[];
}

/** The package or project file a script URL belongs to. */
export function sourceOf(url: string): string {
  if (!url) return "(native / V8)";
  if (url.startsWith("wasm://")) return "(wasm)";
  if (url.startsWith("node:")) return "node: internals";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const own = /\/dist\/((?:src|runtimes|bench)\/.*)$/.exec(url);
  if (own) return own[1] as string;
  return url.replace(/^file:\/\//, "");
}

function frameName(frame: CallFrame): string {
  const fn = frame.functionName || "(anonymous)";
  if (!frame.url) return fn;
  const src = sourceOf(frame.url);
  return src === "(wasm)" ? `${fn} [wasm]` : `${fn} (${src}:${frame.lineNumber + 1})`;
}

function top(map: Map<string, number>, busy: number, count: number): Share[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({
      name,
      ms: Math.round(us / 100) / 10,
      percent: Math.round((1000 * us) / busy) / 10,
    }));
}

/** Summarises one profile; `window` is [from, to] in microseconds of the monotonic clock. */
export function summarize(path: string, window?: readonly [number, number], count = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const fnSelf = new Map<string, number>();
  const srcSelf = new Map<string, number>();
  let t = profile.startTime;
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    // A sample lasts until the next one (as DevTools counts it).
    const delta = profile.timeDeltas[i + 1] ?? 0;
    if (window && (t < window[0] || t > window[1])) return;
    const frame = byId.get(id);
    if (!frame) return;
    if (frame.functionName === "(idle)") {
      idle += delta;
      return;
    }
    busy += delta;
    const name = frameName(frame);
    fnSelf.set(name, (fnSelf.get(name) ?? 0) + delta);
    const src = frame.url ? sourceOf(frame.url) : frame.functionName;
    srcSelf.set(src, (srcSelf.get(src) ?? 0) + delta);
  });
  return {
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    functions: top(fnSelf, busy, count),
    sources: top(srcSelf, busy, count),
  };
}

/** The summary as text (markdown lists). */
export function formatSummary(title: string, s: ProfileSummary, count = 15): string {
  const lines = [
    `### ${title}`,
    "",
    `busy ${s.busyMs} ms, idle ${s.idleMs} ms`,
    "",
    "Self time by source:",
    "",
  ];
  for (const x of s.sources.slice(0, 10)) lines.push(`- ${x.percent}% ${x.name} (${x.ms} ms)`);
  lines.push("", "Top functions (self time):", "");
  for (const x of s.functions.slice(0, count)) lines.push(`- ${x.percent}% ${x.name}`);
  return `${lines.join("\n")}\n`;
}

if (process.argv[1]?.endsWith("cpu-profile-summary.js") && process.argv[2]) {
  const [from, to] = [process.argv[3], process.argv[4]].map(Number);
  const window = from !== undefined && to !== undefined && to > 0 ? ([from, to] as const) : undefined;
  process.stdout.write(formatSummary(process.argv[2], summarize(process.argv[2], window)));
}
