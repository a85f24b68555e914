/**
 * The shell LanguageRuntime: each step gets a fresh in-memory file system and a fresh
 * process table; the compiled busybox module is shared by every instance of a factory.
 */
import type { FileTree } from "../fs/file-tree.js";
import type { LanguageRuntime, StepInvocation, StepOutcome } from "../worker/language-runtime.js";
import type { NetFetch } from "../worker/net-client.js";
import { OpenDevice } from "./fs-handles.js";
import { OutputSink } from "./handle.js";
import { InstancePool } from "./instance-pool.js";
import { Kernel } from "./kernel.js";
import { exitCode, isShared, sharedCell, stepFailure } from "./kernel-api.js";
import { nowNs } from "./mem-fs.js";
import { OutputCapture } from "./output-capture.js";
import { exportTree, RootDir, type RootFs, RootLayouts, readFile, writeFile } from "./root-fs.js";
import { bindImports } from "./slot-imports.js";
import { OUTPUT_FILE, prepareStep, STEP_SCRIPT, stepResult } from "./step-contract.js";
import { StepTemplate } from "./step-template.js";
import type { WasmModule } from "./wasm-api.js";
import { decodeUtf8, utf8Length } from "./wasm-strings.js";

/** What one run of busybox produced. */
export interface ShellRun {
  readonly status: number;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  readonly forks: number;
  /** Milliseconds spent in fork (instantiating and copying memory). */
  readonly forkMs: number;
  /** Bytes of the first process's memory when it exited (what each fork copies). */
  readonly rootMemoryBytes: number;
}

export interface RunOptions {
  readonly args: string[];
  readonly env: string[];
  readonly fs: RootFs;
  readonly memoryBytes: number;
  readonly processes: number;
  readonly outputBytes: number;
  readonly interrupted: () => boolean;
  readonly waitCell: Int32Array;
  readonly emit?: (stream: "stdout" | "stderr", text: string) => void;
  /** The step's network access (the wget function's device). */
  readonly net?: NetFetch;
  /** Instances to reuse across runs (of the same module). */
  readonly pool?: InstancePool;
  /** Start the first process from this template, reading `prelude` (instead of `args`, `env`). */
  readonly template?: { readonly parked: StepTemplate; readonly prelude: string };
}

const enc = new TextEncoder();

/** Runs busybox with `args` on `fs` until the first process exits. Throws StepAbort on a limit. */
export async function runBusybox(module: WasmModule, o: RunOptions): Promise<ShellRun> {
  const out = new OutputCapture("stdout", o.outputBytes, o.emit);
  const err = new OutputCapture("stderr", o.outputBytes, o.emit);
  const stdout = new OutputSink((data) => out.write(data));
  const stderr = new OutputSink((data) => err.write(data));
  const kernel = new Kernel(
    {
      module,
      memoryBytes: o.memoryBytes,
      processes: o.processes,
      interrupted: o.interrupted,
      waitCell: o.waitCell,
      diagnostic: (text) => stderr.fd_write(enc.encode(text)),
      fsInfo: () => [o.fs.ctx.limitBytes - o.fs.baseline, o.fs.ctx.used - o.fs.baseline],
      modeOf: (ino) => o.fs.ctx.inodes.get(ino)?.mode ?? -1,
      setMode: (ino, mode) => {
        const node = o.fs.ctx.inodes.get(ino);
        if (!node) return false;
        node.changing();
        node.mode = mode & 0o7777;
        node.ctim = nowNs();
        return true;
      },
    },
    o.pool,
  );
  o.fs.ctx.net = () => o.net;
  o.fs.ctx.proc = (name) => (name === "meminfo" ? meminfo(o.memoryBytes, kernel.memoryInUse()) : "");
  const stdin = new OpenDevice(o.fs.devNull);
  const rootDir = new RootDir(o.fs.root);
  const t = o.template;
  const root = t
    ? kernel.spawnFrom(t.parked.proc, t.parked.fds(stdin, stdout, stderr, rootDir, enc.encode(t.prelude)))
    : kernel.spawn(o.args, o.env, [stdin, stdout, stderr, rootDir]);
  let rootMemoryBytes = 0;
  const status = await kernel.run(root, () => {
    rootMemoryBytes = root.memoryBytes();
  });
  out.end();
  err.end();
  return {
    status,
    stdout: out.bytes(),
    stderr: err.bytes(),
    forks: kernel.forks,
    forkMs: kernel.forkMs,
    rootMemoryBytes,
  };
}

function meminfo(total: number, used: number): string {
  const kb = (n: number) => `${String(Math.floor(n / 1024)).padStart(8)} kB`;
  const free = Math.max(0, total - used);
  const rows: [string, number][] = [
    ["MemTotal", total],
    ["MemFree", free],
    ["MemAvailable", free],
    ["Buffers", 0],
    ["Cached", 0],
    ["SReclaimable", 0],
    ["SwapTotal", 0],
    ["SwapFree", 0],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(16)}${kb(v)}\n`).join("");
}

function isEmpty(tree: FileTree): boolean {
  for (const _ in tree) return false;
  return true;
}

function waitCellFor(inv: StepInvocation): Int32Array {
  const b = inv.interruptBuffer;
  return b && isShared(b) && b.length > 0 ? b : sharedCell();
}

export class ShellRuntime implements LanguageRuntime {
  private disposed = false;
  private pool: InstancePool;
  private readonly layouts: RootLayouts;
  /** The prepared root shell (undefined: not made yet; null: busybox did not park, steps start afresh). */
  private template: StepTemplate | null | undefined;
  /** `layouts`: file system layouts to share with other runtimes of the same applets. */
  constructor(
    private readonly module: WasmModule,
    private readonly applets: readonly string[],
    layouts?: RootLayouts,
  ) {
    this.pool = new InstancePool(module, bindImports);
    this.layouts = layouts ?? new RootLayouts(applets);
  }

  async run(inv: StepInvocation): Promise<StepOutcome> {
    if (this.disposed) throw new Error("shell runtime used after dispose()");
    const layout = this.layouts.take();
    try {
      const step = prepareStep(inv);
      const fs: RootFs = layout.open(inv.files, inv.limits.workspaceBytes);
      writeFile(fs, STEP_SCRIPT, inv.code);
      const template = step.prelude !== undefined ? this.prepared() : null;
      const r = await runBusybox(this.module, {
        ...(template && step.prelude !== undefined
          ? { args: [], env: [], template: { parked: template, prelude: step.prelude } }
          : step.fresh()),
        fs,
        memoryBytes: inv.limits.memoryBytes,
        processes: inv.limits.processes,
        outputBytes: inv.limits.outputBytes,
        interrupted: inv.interrupted,
        waitCell: waitCellFor(inv),
        emit: inv.emit,
        ...(inv.net ? { net: inv.net } : {}),
        pool: this.pool,
      });
      const tree = exportTree(
        fs,
        "/tmp" in inv.files || "/workspace" in inv.files,
        inv.limits.workspaceBytes,
      );
      // nothing in, nothing out: hand back the tree it was given, so the dispatcher skips the diff
      const files = isEmpty(tree) && isEmpty(inv.files) ? inv.files : tree;
      const result = stepResult(
        decodeUtf8(r.stdout),
        decodeUtf8(r.stderr),
        exitCode(r.status),
        readFile(fs, OUTPUT_FILE),
      );
      if (!result.ok) return { ok: false, error: result.error, files };
      const json = result.outputJson;
      if (json.length * 3 > inv.limits.resultBytes && utf8Length(json) > inv.limits.resultBytes) {
        return {
          ok: false,
          error: {
            name: "ResultLimitError",
            message: `shell step result is larger than ${inv.limits.resultBytes} bytes`,
          },
          files,
        };
      }
      return { ok: true, outputJson: result.outputJson, files };
    } catch (e) {
      return { ok: false, error: stepFailure(e) };
    } finally {
      this.layouts.give(layout);
    }
  }

  /** The template, made at the first step. */
  private prepared(): StepTemplate | null {
    if (this.template === undefined)
      this.template = StepTemplate.make(this.module, this.pool, this.applets) ?? null;
    return this.template;
  }

  memoryBytes(): number {
    return this.pool.bytes() + (this.template?.bytes() ?? 0); // processes end with their step; their instances are kept for reuse
  }

  dispose(): void {
    this.disposed = true;
    this.template = null;
    this.pool = new InstancePool(this.module, bindImports, 0); // drop the kept instances
  }
}

export type { FileTree };
