#!/usr/bin/env node
/* global URL, process */
// `npx mm-lab` from the repo root: the built CLI when dist/ is at least as new as the sources it
// was built from (after `npm run demo` or `pnpm build`, see stale-dist.js), else the TypeScript
// sources through tsx (after `npm test`, nothing built, or a source edited since the build).
// MM_LAB_DEBUG=1 says on stderr which one runs and why.
import { spawn } from "node:child_process";
import { constants as osConstants } from "node:os";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { staleDist } from "./stale-dist.js";

const stale = staleDist();
const debug = process.env.MM_LAB_DEBUG === "1";
if (stale === null) {
  if (debug) process.stderr.write("mm-lab: running dist/ (as new as its sources)\n");
  await import(new URL("../dist/main.js", import.meta.url).href);
} else {
  if (debug) process.stderr.write(`mm-lab: running the sources through tsx (${stale})\n`);
  const src = fileURLToPath(new URL("../src/main.ts", import.meta.url));
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const child = spawn(process.execPath, ["--import", new URL(`file://${tsx}`).href, "--conditions=@mm/source", src, ...process.argv.slice(2)], { stdio: "inherit" });
  // The child is in the terminal's process group, so Ctrl-C reaches it directly: this process
  // only waits for it (dying first would drop its exit code and leave it writing after the
  // prompt). SIGTERM and SIGHUP usually name one pid (a scheduler, a supervisor): pass them on.
  process.on("SIGINT", () => {});
  for (const sig of ["SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? 128 + (signal === null ? 1 : (osConstants.signals[signal] ?? 1));
  });
}
