/**
 * Open file descriptions shared between fd tables. A fork or dup adds a reference;
 * the description closes (pipe ends hang up, unlinked files free their bytes) when the
 * last reference goes. Pipes and the step's output streams live here too.
 */
import { Fd, wasi } from "@bjorn3/browser_wasi_shim";
import { copy, view } from "./arrays.js";
import { Filestat } from "./mem-fs.js";

/** Every right: the sandbox enforces access modes itself. */
export const ALL_RIGHTS = 0x1fffffffn;

export function fdstat(filetype: number, flags = 0): wasi.Fdstat {
  const s = new wasi.Fdstat(filetype, flags);
  s.fs_rights_base = ALL_RIGHTS;
  s.fs_rights_inherited = ALL_RIGHTS;
  return s;
}

let nextStreamIno = 1n << 40n;

/** A reference-counted open file description. */
export abstract class Handle extends Fd {
  private refs = 1;
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) this.fd_close();
  }
}

/** A pipe buffer bounded like Linux's default (64 KiB). */
export class Pipe {
  private chunks: Uint8Array[] = [];
  size = 0;
  readers = 0;
  writers = 0;
  /** A process blocked reading (or writing) this pipe, to wake first when that can go on. */
  waitingReader: object | null = null;
  waitingWriter: object | null = null;
  constructor(readonly capacity = 65536) {}

  space(): number {
    return this.capacity - this.size;
  }
  /** Takes up to `max` buffered bytes. */
  take(max: number): Uint8Array {
    const out = new Uint8Array(Math.min(max, this.size));
    let n = 0;
    while (n < out.byteLength) {
      const c = this.chunks[0];
      if (!c) break;
      const k = Math.min(c.byteLength, out.byteLength - n);
      out.set(view(c, 0, k), n);
      n += k;
      if (k === c.byteLength) this.chunks.shift();
      else this.chunks[0] = view(c, k);
    }
    this.size -= n;
    return out;
  }
  /** Buffers as much of `data` as fits; returns the count. */
  put(data: Uint8Array): number {
    const n = Math.min(data.byteLength, this.space());
    if (n > 0) {
      this.chunks.push(copy(data, 0, n));
      this.size += n;
    }
    return n;
  }
}

const STREAM = wasi.FILETYPE_SOCKET_STREAM; // wasi-libc reports it as S_IFIFO/S_IFSOCK

/** Pipes and output streams: no seeking, an inode number of their own. */
abstract class StreamHandle extends Handle {
  private readonly streamIno = nextStreamIno++;
  override fd_fdstat_get() {
    return { ret: 0, fdstat: fdstat(STREAM) };
  }
  override fd_filestat_get() {
    return { ret: 0, filestat: new Filestat(this.streamIno, STREAM, 0n) };
  }
  override fd_seek() {
    return { ret: wasi.ERRNO_SPIPE, offset: 0n };
  }
  override fd_tell() {
    return { ret: wasi.ERRNO_SPIPE, offset: 0n };
  }
  override fd_fdstat_set_flags(): number {
    return 0;
  }
}

export class PipeReader extends StreamHandle {
  constructor(readonly pipe: Pipe) {
    super();
    pipe.readers++;
  }
  override fd_close(): number {
    this.pipe.readers--;
    return 0;
  }
}

export class PipeWriter extends StreamHandle {
  constructor(readonly pipe: Pipe) {
    super();
    pipe.writers++;
  }
  override fd_close(): number {
    this.pipe.writers--;
    return 0;
  }
}

/** The step's stdout or stderr: bytes go to a sink as they are written. */
export class OutputSink extends StreamHandle {
  constructor(private readonly sink: (data: Uint8Array) => void) {
    super();
  }
  override fd_write(data: Uint8Array) {
    if (data.byteLength > 0) this.sink(data);
    return { ret: 0, nwritten: data.byteLength };
  }
}
