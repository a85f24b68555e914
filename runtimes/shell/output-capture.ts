/**
 * What the step writes to stdout or stderr: kept (up to the output limit) for the step's
 * result, and streamed as text through the invocation's `emit` as it is written.
 */

import { copy } from "./arrays.js";
import { StepAbort } from "./kernel-api.js";
import { readString } from "./wasm-strings.js";

export type StreamName = "stdout" | "stderr";

export class OutputCapture {
  private readonly parts: Uint8Array[] = [];
  private size = 0;
  /** Made at the first chunk that is not short ASCII; from then on every chunk goes through it. */
  private decoder: TextDecoder | undefined;

  constructor(
    private readonly name: StreamName,
    private readonly limit: number,
    private readonly emit?: (stream: StreamName, text: string) => void,
  ) {}

  /** Keeps and emits `data` (a view: it is copied); throws OutputLimitError past the limit. */
  write(data: Uint8Array): void {
    this.size += data.byteLength;
    if (this.size > this.limit) {
      throw new StepAbort(
        "OutputLimitError",
        `shell step wrote more than ${this.limit} bytes to ${this.name}`,
      );
    }
    this.parts.push(copy(data));
    if (this.emit) this.emit(this.name, this.text(data));
  }

  private text(data: Uint8Array): string {
    if (!this.decoder && data.byteLength <= 64 && data.every((b) => b < 0x80)) {
      return readString(data, 0, data.byteLength);
    }
    this.decoder ??= new TextDecoder();
    return this.decoder.decode(data, { stream: true });
  }

  /** Emits what the decoder still holds (an incomplete UTF-8 sequence at the end). */
  end(): void {
    const rest = this.decoder?.decode();
    if (rest && this.emit) this.emit(this.name, rest);
  }

  /** Everything kept, in one buffer. */
  bytes(): Uint8Array {
    if (this.parts.length === 1) return this.parts[0] as Uint8Array;
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.byteLength;
    }
    return out;
  }
}
