import { describe, expect, test } from "vitest";
import { output, runStep, sh } from "./helpers.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("files in and out", () => {
  test("a step given no files that writes none hands back the very tree it was given", async () => {
    const files = {};
    const r = await runStep("echo '{}' > $SANDFLOW_OUTPUT; mkdir -p /run/sandflow/x", { files });
    expect(r.outcome.ok && r.outcome.files).toBe(files);
    const wrote = await runStep("echo x > /tmp/a", { files });
    expect(wrote.outcome.ok && wrote.outcome.files).toEqual({ "/tmp/a": enc.encode("x\n") });
  });

  test("the step starts with invocation.files and returns the whole tree of /tmp and /workspace", async () => {
    const files = {
      "/workspace/data": null,
      "/workspace/data/in.csv": enc.encode("name,n\nb,2\na,1\n"),
      "/tmp/scratch.txt": enc.encode("old"),
    };
    const r = await runStep(
      `cd data && tail -n +2 in.csv | sort > sorted.csv
mkdir -p /workspace/out/deep && echo done > /workspace/out/deep/flag
rm /tmp/scratch.txt; printf '\\0\\1\\2' > /tmp/bin
echo '{"rows": 2}'`,
      { files },
    );
    expect(output(r.outcome)).toEqual({ rows: 2 });
    if (!r.outcome.ok) return;
    const tree = r.outcome.files;
    expect(Object.keys(tree).sort()).toEqual([
      "/tmp/bin",
      "/workspace/data",
      "/workspace/data/in.csv",
      "/workspace/data/sorted.csv",
      "/workspace/out",
      "/workspace/out/deep",
      "/workspace/out/deep/flag",
    ]);
    expect(dec.decode(tree["/workspace/data/sorted.csv"] as Uint8Array)).toBe("a,1\nb,2\n");
    expect([...(tree["/tmp/bin"] as Uint8Array)]).toEqual([0, 1, 2]);
    expect(tree["/workspace/out"]).toBeNull();
  });

  test("files from the invocation are readable, writable and listed", async () => {
    const r = await sh(
      "ls -R /workspace; cat /workspace/a/b.txt; echo more >> /workspace/a/b.txt; wc -l < /workspace/a/b.txt",
      { files: { "/workspace/a/b.txt": enc.encode("line\n") } },
    );
    expect(r.stdout).toBe("/workspace:\na\n\n/workspace/a:\nb.txt\nline\n2\n");
  });

  test("permissions: chmod, executable scripts, #! lines", async () => {
    const script = [
      "printf '#!/bin/sh\\necho \"script args: $*\"\\n' > s.sh",
      './s.sh 1 2; echo "status=$?"',
      "chmod +x s.sh; ./s.sh 1 2",
      `printf '#!/usr/bin/awk -f\\nBEGIN { print "from awk" }\\n' > a.awk; chmod 755 a.awk; ./a.awk`,
      "chmod 600 s.sh; stat -c '%a %U' s.sh",
      'echo data > ro.txt; chmod 444 ro.txt; echo more > ro.txt; echo "write status=$?"',
      "[ -x s.sh ] || echo not-executable; [ -r ro.txt ] && echo readable",
    ].join("\n");
    const r = await sh(script);
    expect(r.stdout).toBe(
      "status=126\nscript args: 1 2\nfrom awk\n600 sandflow\nwrite status=1\nnot-executable\nreadable\n",
    );
    expect(r.stderr).toContain("Permission denied");
  });

  test("/dev devices, mktemp, tar and gzip round trips, checksums", async () => {
    const script = [
      "head -c 16 /dev/urandom | wc -c",
      "echo gone > /dev/null; cat /dev/null | wc -c",
      "echo to-stderr > /dev/stderr",
      't=$(mktemp); echo "$t" | grep -c \'^/tmp/tmp\\.\'; d=$(mktemp -d); [ -d "$d" ] && echo dir',
      "mkdir -p src/x; echo one > src/x/1; echo two > src/2",
      "tar czf /tmp/a.tgz src && rm -r src && tar xzf /tmp/a.tgz && cat src/x/1 src/2",
      "echo hello | gzip | gunzip",
      "echo hello | md5sum; printf abc | sha256sum | cut -c1-16; echo aGk= | base64 -d; echo",
    ].join("\n");
    const r = await sh(script);
    expect(r.stdout).toBe(
      "16\n0\n1\ndir\none\ntwo\nhello\nb1946ac92492d2347c6235b4d2611184  -\nba7816bf8f01cfea\nhi\n",
    );
    expect(r.stderr).toBe("to-stderr\n");
  });

  test("symbolic links resolve inside the step and are not exported", async () => {
    const script = [
      "mkdir -p data/v1; echo one > data/v1/x; ln -s data/v1 current; ln -s /workspace/data/v1/x abs",
      "cat current/x abs; readlink current; readlink -f abs; cd current; pwd -P; cd ..",
      "ln -s loop loop 2>/dev/null; cat loop 2>/dev/null || echo loop-error; rm current; ls",
    ].join("\n");
    const r = await runStep(script);
    expect(r.emitted.stdout).toBe(
      "one\none\ndata/v1\n/workspace/data/v1/x\n/workspace/data/v1\nloop-error\nabs\ndata\nloop\n",
    );
    expect(r.outcome.ok && Object.keys(r.outcome.files).sort()).toEqual([
      "/workspace/data",
      "/workspace/data/v1",
      "/workspace/data/v1/x",
    ]);
  });

  test("rename, hard links, rmdir and file system errors", async () => {
    const script = [
      "mkdir -p d1/d2; echo x > d1/f; mv d1/f d1/d2/g; ls d1/d2",
      "mv d1 d3; ls; ln d3/d2/g h; echo y >> h; cat d3/d2/g",
      "rmdir d3 2>&1; rm -r d3; ls; mv h h2 && ls",
      "cat nope 2>&1; mkdir h2 2>&1; mv /workspace /workspace/x 2>&1 | grep -c Invalid",
    ].join("\n");
    const r = await sh(script);
    expect(r.stdout).toBe(
      "g\nd3\nx\ny\nrmdir: 'd3': Directory not empty\nh\nh2\ncat: can't open 'nope': No such file or directory\nmkdir: can't create directory 'h2': File exists\n1\n",
    );
  });
});
