/** The workspace file tree types and helpers, shared by the host and the runtimes. */
export * from "../../src/core/file-tree.js";
