#!/usr/bin/env node
// The sandflow command. Built code lives in dist/ (npm run build, run by npm ci).
const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  process.stderr.write(
    `sandflow needs Node 24 or later (this is ${process.version}); run it through npx or npm scripts, which use the Node pinned in node_modules\n`,
  );
  process.exit(2);
}
// Cache compiled JavaScript between runs (Node's compile cache in the OS temp folder).
(await import("node:module")).enableCompileCache?.();
// A run on a server needs no local engine: a light entry skips loading it.
const remote = (await import("../dist/src/cli/remote-argv.js")).isRemoteRun(process.argv);
// A local run starts its pool process first, so it starts while the CLI's modules load.
if (!remote && process.argv[2] === "run")
  (await import("../dist/src/cli/early-pool.js")).prestartForArgv(process.argv);
// The CLI itself is bundled (scripts/bundle-cli.mjs): a few files load in half the time of
// its ~300 modules.
const { main } = await import(remote ? "../dist/src/cli/remote-main.js" : "../dist/src/cli-bundle/main.js");
await main(process.argv);
