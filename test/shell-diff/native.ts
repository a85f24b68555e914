/**
 * Runs scripts two ways for the differential suite: on sandflow's busybox.wasm (through
 * the same host as shell steps) and on native busybox 1.35 from Debian (`apt-get install
 * busybox`) with a PATH holding only a folder of busybox applet symlinks.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { FileTree } from "../../runtimes/fs/file-tree.js";
import {
  buildRootFs,
  exitCode,
  loadShellModule,
  runBusybox,
  type ShellModule,
  writeFile,
} from "../../runtimes/shell/index.js";
import { loadBusyboxWasm } from "../../runtimes/shell/node-assets.js";

export interface RunOpts {
  /** Files under the working folder (relative paths): text (UTF-8) or bytes. */
  readonly files?: Record<string, string | Uint8Array>;
  /** Working folder, relative to the case's root. */
  readonly cwd?: string;
  /** argv (default: sh ../script.sh). */
  readonly args?: string[];
  readonly env?: Record<string, string>;
  /** Only `env`, without the default PATH/HOME/LC_ALL/TZ. */
  readonly bareEnv?: boolean;
  readonly timeoutMs?: number;
  /** Decode stdout and stderr as latin1 (byte for byte) instead of UTF-8. */
  readonly latin1?: boolean;
}

export interface Result {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

const NATIVE = ["/usr/bin/busybox", "/bin/busybox"].find((p) => existsSync(p));

/** Native busybox, with an applet-symlink folder; throws with the install hint when missing. */
export function nativeBusybox(): { busybox: string; bin: string; root: string } {
  if (!NATIVE) throw new Error("native busybox not found: apt-get install busybox (Debian's busybox 1.35)");
  const version = spawnSync(NATIVE, [], { encoding: "utf8" }).stdout;
  if (!version.includes("v1.35.")) throw new Error(`native busybox is not 1.35: ${version.split("\n")[0]}`);
  const root = mkdtempSync(join(tmpdir(), "sandflow-diff-"));
  const bin = join(root, "bin");
  mkdirSync(bin);
  const applets = spawnSync(NATIVE, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  for (const a of applets) symlinkSync(NATIVE, join(bin, a));
  return { busybox: NATIVE, bin, root };
}

/** Runs `sh ../script.sh` natively in an empty folder `work` (the script sits beside it). */
export function runNative(
  native: { busybox: string; bin: string; root: string },
  script: string,
  opts: RunOpts = {},
): Result {
  const base = mkdtempSync(join(native.root, "case-"));
  const work = join(base, "work");
  mkdirSync(work);
  for (const [path, text] of Object.entries(opts.files ?? {})) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), text, { mode: 0o755 });
  }
  writeFileSync(join(base, "script.sh"), script);
  const r = spawnSync(native.busybox, opts.args ?? ["sh", "../script.sh"], {
    cwd: join(work, opts.cwd ?? ""),
    env: { ...(opts.bareEnv ? {} : { PATH: native.bin, HOME: work, LC_ALL: "C", TZ: "UTC" }), ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    encoding: opts.latin1 ? "latin1" : "utf8",
    timeout: opts.timeoutMs ?? 30_000,
  });
  rmSync(base, { recursive: true, force: true });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status ?? 128 + 9 };
}

let shellModule: Promise<ShellModule> | undefined;
export function sandflowModule(): Promise<ShellModule> {
  shellModule ??= loadBusyboxWasm().then(loadShellModule);
  return shellModule;
}

/** Runs `sh ../script.sh` on busybox.wasm with cwd /workspace (the script is /script.sh). */
export async function runSandflow(script: string, opts: RunOpts = {}): Promise<Result> {
  const { module, applets } = await sandflowModule();
  const enc = new TextEncoder();
  const files: FileTree = {};
  for (const [path, data] of Object.entries(opts.files ?? {})) {
    files[`/workspace/${path}`] = typeof data === "string" ? enc.encode(data) : data;
  }
  const fs = buildRootFs(files, 256 << 20, applets);
  writeFile(fs, "/script.sh", script);
  const cwd = `/workspace/${opts.cwd ?? ""}`.replace(/\/$/, "");
  const deadline = performance.now() + (opts.timeoutMs ?? 30_000);
  const args = opts.args ?? ["sh", "../script.sh"];
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const env = {
    ...(opts.bareEnv ? {} : { PATH: "/bin", HOME: "/workspace", LC_ALL: "C", TZ: "UTC" }),
    ...opts.env,
  };
  const r = await runBusybox(module, {
    args: ["sh", "-c", `cd '${cwd}' && exec ${quoted}`],
    env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    fs,
    memoryBytes: 256 << 20,
    processes: 64,
    outputBytes: 16 << 20,
    interrupted: () => performance.now() > deadline,
    waitCell: new Int32Array(new SharedArrayBuffer(4)),
  });
  const dec = new TextDecoder();
  const decode = (b: Uint8Array) => (opts.latin1 ? Buffer.from(b).toString("latin1") : dec.decode(b));
  return { stdout: decode(r.stdout), stderr: decode(r.stderr), code: exitCode(r.status) };
}
