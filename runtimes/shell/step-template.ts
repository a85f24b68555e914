/**
 * A step's root shell, prepared once per runtime: busybox started with the part of the
 * bootstrap every step shares (ash initialised, the helper functions defined, the working
 * directory set), parked where it reads the rest (`. /dev/stdin`, a pipe with no data yet).
 * A step's root process is then a copy of it, as a fork is a copy of its parent: the whole
 * memory overwritten with the template's, rewound into that read, which now reads the
 * step's prelude (step-contract.ts) from a pipe of the step's own. Nothing of an earlier step
 * is in the template (it never ran one), and the template itself never runs again.
 */
import type { OpenDevice } from "./fs-handles.js";
import { type Handle, OutputSink, Pipe, PipeReader } from "./handle.js";
import type { InstancePool } from "./instance-pool.js";
import { Kernel } from "./kernel.js";
import { sharedCell } from "./kernel-api.js";
import type { Process } from "./process.js";
import { buildRootFs, RootDir } from "./root-fs.js";
import { TEMPLATE_ARGS, TEMPLATE_ENV } from "./step-contract.js";
import type { WasmModule } from "./wasm-api.js";

type Role = "stdin" | "stdout" | "stderr" | "root" | "prelude" | "?" | undefined;
const STDIO = ["stdin", "stdout", "stderr"] as const;

export class StepTemplate {
  private constructor(
    /** The parked process (its instance is the template's memory). */
    readonly proc: Process,
    /** What each fd of the parked process is. */
    private readonly roles: readonly Role[],
  ) {}

  /** Starts the template; undefined when busybox did not park as expected (steps then start as before). */
  static make(module: WasmModule, pool: InstancePool, applets: readonly string[]): StepTemplate | undefined {
    const fs = buildRootFs({}, 1 << 20, applets);
    let failed = false;
    const kernel = new Kernel(
      {
        module,
        memoryBytes: 64 << 20,
        processes: 1,
        interrupted: () => false,
        waitCell: sharedCell(),
        diagnostic: () => {
          failed = true;
        },
        fsInfo: () => [0, 0],
        modeOf: () => -1,
        setMode: () => false,
      },
      pool,
    );
    const pipe = new Pipe();
    const writer = new OutputSink(() => {
      failed = true; // the template writes nothing
    });
    const reader = new PipeReader(pipe);
    pipe.writers++; // held open by the host: the read blocks
    const root = kernel.spawn(
      [...TEMPLATE_ARGS],
      [...TEMPLATE_ENV],
      [reader, writer, writer.retain(), new RootDir(fs.root)],
    );
    if (!kernel.runUntilBlocked(root) || failed || pipe.waitingReader !== root) return undefined;
    // the template's fd table, by role (wasi-libc moves the root preopen up, ash the script fd)
    const roles: Role[] = [];
    const fds = root.fds;
    for (let fd = 0; fd < fds.length; fd++) {
      const h = fds[fd];
      if (h === undefined) roles.push(undefined);
      else if (fd <= 2) roles.push(h === [reader, writer, writer][fd] ? STDIO[fd] : "?");
      else roles.push(h === reader ? "prelude" : h instanceof RootDir ? "root" : "?");
    }
    if (roles.includes("?") || !roles.includes("prelude") || !roles.includes("root")) return undefined;
    return new StepTemplate(root, roles);
  }

  /** The fd table of a step's root process: its stdio and root, and `prelude` where the template reads. */
  fds(
    stdin: OpenDevice,
    stdout: Handle,
    stderr: Handle,
    root: RootDir,
    prelude: Uint8Array,
  ): (Handle | undefined)[] {
    const pipe = new Pipe(Math.max(65536, prelude.byteLength));
    pipe.put(prelude);
    const handles: Record<Exclude<Role, undefined>, Handle> = {
      stdin,
      stdout,
      stderr,
      root,
      prelude: new PipeReader(pipe),
      "?": stdin,
    };
    const used = new Set<Handle>();
    // Built by push, as every other fd table is: an array from Array.prototype.map has
    // another map, and the WASI handlers' optimized code, made for one, deopts on the other.
    const fds: (Handle | undefined)[] = [];
    for (const role of this.roles) {
      const h = role === undefined ? undefined : handles[role];
      if (h === undefined || !used.has(h)) fds.push(h);
      else fds.push(h.retain());
      if (h !== undefined) used.add(h);
    }
    return fds;
  }

  /** Bytes of wasm memory the template holds. */
  bytes(): number {
    return this.proc.memoryBytes();
  }
}
