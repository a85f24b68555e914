/**
 * A step's stdout and stderr: kept up to the output limit (the first part, with a marker
 * where it was cut), and handed out in coalesced chunks for live log events.
 */

/** One chunk of output not yet sent as a log event. */
export interface LogChunk {
  readonly stream: "stdout" | "stderr";
  readonly text: string;
}

/** Output of one step attempt. */
export class StepOutput {
  readonly #limit: number;
  readonly #kept = { stdout: [] as string[], stderr: [] as string[] };
  readonly #size = { stdout: 0, stderr: 0 };
  readonly #cut = { stdout: false, stderr: false };
  #pending: LogChunk[] = [];
  /** The stream that went over the limit first, if any. */
  overflow: "stdout" | "stderr" | undefined;

  constructor(limitBytes: number) {
    this.#limit = limitBytes;
  }

  /** Adds printed text; returns false once the stream is over its limit. */
  add(stream: "stdout" | "stderr", text: string): boolean {
    if (this.#cut[stream]) return false;
    if (text.length === 0) return true;
    const used = this.#size[stream];
    let part = text;
    let over = false;
    if (used + text.length > this.#limit) {
      part = `${text.slice(0, this.#limit - used)}\n[sandflow: ${stream} cut here: the step printed more than ${this.#limit} characters]\n`;
      over = true;
      this.#cut[stream] = true;
      this.overflow ??= stream;
    }
    this.#size[stream] = over ? this.#limit : used + text.length;
    this.#kept[stream].push(part);
    const last = this.#pending[this.#pending.length - 1];
    if (last && last.stream === stream)
      this.#pending[this.#pending.length - 1] = { stream, text: last.text + part };
    else this.#pending.push({ stream, text: part });
    return !over;
  }

  /** True when there is output not yet taken by {@link takePending}. */
  get hasPending(): boolean {
    return this.#pending.length > 0;
  }

  /** Output since the last call, for live log events. */
  takePending(): LogChunk[] {
    const out = this.#pending;
    this.#pending = [];
    return out;
  }

  /** Everything kept of a stream. */
  text(stream: "stdout" | "stderr"): string {
    const parts = this.#kept[stream];
    return parts.length === 1 ? (parts[0] as string) : parts.join("");
  }
}
