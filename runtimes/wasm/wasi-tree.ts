/**
 * The step's /tmp and /workspace as browser_wasi_shim directories for a WASI command
 * module, and back: files the module leaves pass to dependents as for the other languages.
 */
import { Directory, File, type Inode } from "@bjorn3/browser_wasi_shim";
import type { FileTree } from "../fs/file-tree.js";

/** The contents of the two preopened roots, built from a step's files. */
export function treeToDirectories(files: FileTree): {
  tmp: Map<string, Inode>;
  workspace: Map<string, Inode>;
} {
  const roots = { tmp: new Map<string, Inode>(), workspace: new Map<string, Inode>() };
  const dirs = new Map<string, Map<string, Inode>>([
    ["/tmp", roots.tmp],
    ["/workspace", roots.workspace],
  ]);
  const dirOf = (path: string): Map<string, Inode> => {
    const known = dirs.get(path);
    if (known) return known;
    const cut = path.lastIndexOf("/");
    const parent = dirOf(path.slice(0, cut));
    const contents = new Map<string, Inode>();
    parent.set(path.slice(cut + 1), new Directory(contents));
    dirs.set(path, contents);
    return contents;
  };
  for (const path of Object.keys(files).sort()) {
    const data = files[path];
    if (data === null || data === undefined) {
      dirOf(path);
      continue;
    }
    const cut = path.lastIndexOf("/");
    dirOf(path.slice(0, cut)).set(path.slice(cut + 1), new File(data));
  }
  return roots;
}

/** The files under the two roots after the module ran. */
export function directoriesToTree(roots: {
  tmp: Map<string, Inode>;
  workspace: Map<string, Inode>;
}): FileTree {
  const tree = Object.create(null) as FileTree;
  const walk = (prefix: string, contents: Map<string, Inode>) => {
    for (const [name, inode] of contents) {
      const path = `${prefix}/${name}`;
      if (inode instanceof Directory) {
        tree[path] = null;
        walk(path, inode.contents);
      } else if (inode instanceof File) {
        tree[path] = inode.data;
      }
    }
  };
  walk("/tmp", roots.tmp);
  walk("/workspace", roots.workspace);
  return tree;
}
