/**
 * The workflow editor: a plain textarea (no eval-based editor library under the page's
 * CSP) with Tab indenting, Ctrl/Cmd+Enter to run, the detected format shown beside it,
 * and a debounced callback when the text changes.
 */
import { detectFormat, type WorkflowFormat } from "../browser.js";

/** Options of {@link WorkflowEditor}. */
export interface EditorOptions {
  readonly onChange: (text: string) => void;
  readonly onRun: () => void;
  /** Milliseconds of quiet before onChange. Default: 350. */
  readonly debounceMs?: number;
}

/** The editor over an existing textarea and format badge. */
export class WorkflowEditor {
  readonly #area: HTMLTextAreaElement;
  readonly #badge: HTMLElement;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(area: HTMLTextAreaElement, badge: HTMLElement, options: EditorOptions) {
    this.#area = area;
    this.#badge = badge;
    area.addEventListener("input", () => {
      this.#showFormat();
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => options.onChange(area.value), options.debounceMs ?? 350);
    });
    area.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        options.onRun();
      } else if (e.key === "Tab" && !e.shiftKey) {
        e.preventDefault();
        const { selectionStart: at, selectionEnd: end } = area;
        area.setRangeText("  ", at, end, "end");
        area.dispatchEvent(new Event("input"));
      }
    });
  }

  /** The text now. */
  get text(): string {
    return this.#area.value;
  }

  /** Replaces the text (no onChange: the caller acts on it). */
  set text(value: string) {
    clearTimeout(this.#timer);
    this.#area.value = value;
    this.#showFormat();
  }

  /** The format the text is detected as. */
  get format(): WorkflowFormat {
    return detectFormat(this.#area.value);
  }

  #showFormat(): void {
    this.#badge.textContent = this.format.toUpperCase();
  }
}
