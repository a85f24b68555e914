/** Mirrors the run workspace (/tmp and /workspace) into an Emscripten in-memory file system. */
import { type FileTree, WORKSPACE_ROOTS } from "../fs/file-tree.js";

/** The parts of Emscripten's FS used here. */
export interface EmscriptenFS {
  readdir(path: string): string[];
  stat(path: string): { mode: number };
  isDir(mode: number): boolean;
  isFile(mode: number): boolean;
  readFile(path: string): Uint8Array;
  writeFile(path: string, data: Uint8Array): void;
  mkdirTree(path: string): void;
  unlink(path: string): void;
  rmdir(path: string): void;
}

function removeBelow(fs: EmscriptenFS, dir: string): void {
  for (const name of fs.readdir(dir)) {
    if (name === "." || name === "..") continue;
    const path = `${dir}/${name}`;
    if (fs.isDir(fs.stat(path).mode)) {
      removeBelow(fs, path);
      fs.rmdir(path);
    } else fs.unlink(path);
  }
}

/** Empties the workspace roots, then writes `tree` into them. */
export function writeWorkspace(fs: EmscriptenFS, tree: FileTree): void {
  for (const root of WORKSPACE_ROOTS) {
    fs.mkdirTree(root);
    removeBelow(fs, root);
  }
  for (const [path, data] of Object.entries(tree).sort(([a], [b]) => a.length - b.length)) {
    if (data === null) fs.mkdirTree(path);
    else {
      fs.mkdirTree(path.slice(0, path.lastIndexOf("/")) || "/");
      fs.writeFile(path, data);
    }
  }
}

function walk(fs: EmscriptenFS, dir: string, out: FileTree): void {
  for (const name of fs.readdir(dir)) {
    if (name === "." || name === "..") continue;
    const path = `${dir}/${name}`;
    const { mode } = fs.stat(path);
    if (fs.isDir(mode)) {
      out[path] = null;
      walk(fs, path, out);
    } else if (fs.isFile(mode)) out[path] = fs.readFile(path);
  }
}

/** The files under the workspace roots now. */
export function readWorkspace(fs: EmscriptenFS): FileTree {
  const out: FileTree = {};
  for (const root of WORKSPACE_ROOTS) walk(fs, root, out);
  return out;
}
