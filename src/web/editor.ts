/**
 * The workflow editor: CodeMirror 6 (bundled; no eval) in a shadow root, where its styles
 * go in constructed stylesheets that the page's CSP (`style-src 'self'`) allows, with YAML, JSON or Lua highlighting as the text's format is detected,
 * the validation problems marked at their place in the text, Ctrl/Cmd+Enter to run, and a
 * debounced callback when the text changes.
 */
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import { yaml } from "@codemirror/lang-yaml";
import {
  bracketMatching,
  defaultHighlightStyle,
  indentOnInput,
  StreamLanguage,
  syntaxHighlighting,
} from "@codemirror/language";
import { lua } from "@codemirror/legacy-modes/mode/lua";
import { type Diagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { detectFormat, type WorkflowFormat } from "../core/loaders/parse-source.js";
import { type Problem, placeProblems } from "./problem-places.js";

/** Options of {@link WorkflowEditor}. */
export interface EditorOptions {
  readonly onChange: (text: string) => void;
  readonly onRun: () => void;
  /** Milliseconds of quiet before onChange. Default: 350. */
  readonly debounceMs?: number;
}

const LANGUAGES: Record<WorkflowFormat, () => Extension> = {
  yaml: () => yaml(),
  json: () => json(),
  lua: () => StreamLanguage.define(lua),
};

// Inside the shadow root the page's style sheet does not apply: the editor's look is here.
const THEME = EditorView.theme({
  "&": { height: "100%", fontSize: "13px", backgroundColor: "#fff" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": {
    fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace',
    lineHeight: "1.45",
  },
  ".cm-gutters": { backgroundColor: "#f6f8fa", borderRight: "1px solid #d0d7de" },
  // The lint package draws these with data: images, which the CSP (img-src 'self') blocks.
  ".cm-lintRange-error": {
    backgroundImage: "none",
    textDecoration: "underline wavy #cf222e",
    textDecorationSkipInk: "none",
    textUnderlineOffset: "3px",
  },
  ".cm-lint-marker-error": {
    content: "normal",
    width: "0.7em",
    height: "0.7em",
    margin: "0.3em 0.2em",
    borderRadius: "50%",
    backgroundColor: "#cf222e",
  },
});

/** The editor in a host element, with the format badge beside it. */
export class WorkflowEditor {
  readonly #view: EditorView;
  readonly #badge: HTMLElement;
  readonly #language = new Compartment();
  #format: WorkflowFormat = "yaml";
  #timer: ReturnType<typeof setTimeout> | undefined;
  #quiet = false;

  constructor(host: HTMLElement, badge: HTMLElement, options: EditorOptions) {
    this.#badge = badge;
    const run = () => {
      options.onRun();
      return true;
    };
    const root = host.shadowRoot ?? host.attachShadow({ mode: "open" });
    const mount = document.createElement("div");
    mount.style.flex = "1";
    mount.style.minWidth = "0";
    root.replaceChildren(mount);
    this.#view = new EditorView({
      parent: mount,
      root,
      state: EditorState.create({
        doc: "",
        extensions: [
          lineNumbers(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          lintGutter(),
          EditorState.tabSize.of(2),
          THEME,
          this.#language.of(LANGUAGES.yaml()),
          keymap.of([{ key: "Mod-Enter", run }, indentWithTab, ...defaultKeymap, ...historyKeymap]),
          EditorView.contentAttributes.of({ "aria-label": "workflow source", spellcheck: "false" }),
          EditorView.updateListener.of((update) => {
            if (!update.docChanged || this.#quiet) return;
            this.#showFormat();
            clearTimeout(this.#timer);
            this.#timer = setTimeout(() => options.onChange(this.text), options.debounceMs ?? 350);
          }),
        ],
      }),
    });
  }

  /** The text now. */
  get text(): string {
    return this.#view.state.doc.toString();
  }

  /** Replaces the text (no onChange: the caller acts on it). */
  set text(value: string) {
    clearTimeout(this.#timer);
    this.#quiet = true;
    this.#view.dispatch({ changes: { from: 0, to: this.#view.state.doc.length, insert: value } });
    this.#quiet = false;
    this.#showFormat();
  }

  /** The editor's shadow root (for tests and scripts that look at what it shows). */
  get root(): ShadowRoot {
    return this.#view.root as ShadowRoot;
  }

  /** The format the text is detected as. */
  get format(): WorkflowFormat {
    return detectFormat(this.text);
  }

  /** Marks `problems` in the text (an empty list clears the marks). */
  showProblems(problems: readonly Problem[]): void {
    const text = this.text;
    const diagnostics: Diagnostic[] = placeProblems(text, this.format, problems).map((p) => ({
      from: Math.min(p.from, text.length),
      to: Math.min(Math.max(p.to, p.from), text.length),
      severity: "error",
      message: p.message,
    }));
    this.#view.dispatch(setDiagnostics(this.#view.state, diagnostics));
  }

  #showFormat(): void {
    const format = this.format;
    this.#badge.textContent = format.toUpperCase();
    if (format === this.#format) return;
    this.#format = format;
    this.#view.dispatch({ effects: this.#language.reconfigure(LANGUAGES[format]()) });
  }
}
