/** The languages a step can be written in. */
export const LANGUAGES = ["python", "lua", "shell", "javascript", "wasm"] as const;

/** A step language after aliases are resolved. */
export type Language = (typeof LANGUAGES)[number];

/** Names accepted in workflow files, with the language each one means. */
export const LANGUAGE_ALIASES: Readonly<Record<string, Language>> = {
  python: "python",
  lua: "lua",
  shell: "shell",
  sh: "shell",
  bash: "shell",
  javascript: "javascript",
  js: "javascript",
  wasm: "wasm",
};

/** The language of a step that does not name one. */
export const DEFAULT_LANGUAGE: Language = "lua";
