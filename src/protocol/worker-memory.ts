/**
 * A worker's whole memory as both sides measure it: its V8 heap in use plus its external
 * memory (array buffers and wasm memories, which live outside the heap and outside its
 * heap limit). The worker measures it before each step (v8.getHeapStatistics), the host
 * while the step runs (Worker.getHeapStatistics), so the step's growth is the difference.
 * No zod here: worker code imports this file.
 */

/** The fields of V8's heap statistics used here. */
export interface HeapStats {
  readonly used_heap_size: number;
  readonly external_memory?: number;
}

/** Bytes of a worker's whole memory from its heap statistics. */
export function wholeMemoryBytes(stats: HeapStats): number {
  return stats.used_heap_size + (stats.external_memory ?? 0);
}

/**
 * How much a step may grow its worker's whole memory: its memory limit (its interpreter's
 * wasm memory grows up to it), its workspace (files live in JavaScript memory), its output
 * and result (text), and 64 MiB for the interpreter's own JavaScript-side work.
 */
export function memoryAllowance(limits: {
  readonly memoryBytes: number;
  readonly workspaceBytes: number;
  readonly outputBytes: number;
  readonly resultBytes: number;
}): number {
  return (
    limits.memoryBytes + limits.workspaceBytes + 4 * limits.outputBytes + 2 * limits.resultBytes + (64 << 20)
  );
}
