#!/usr/bin/env -S node --max-semi-space-size=1
// The `page_owner_sort` bin: the kernel tool's command line (tools/mm/page_owner_sort.c) on Node.

import { runPageOwnerSort } from "../analyzer/program.js";

// Output piped into `head` and closed early is not an error worth a stack trace.
for (const s of [process.stdout, process.stderr]) {
  s.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

// No top-level await: the published bin is this file bundled as CommonJS (see scripts/bundle-bin.mjs).
void runPageOwnerSort(process.argv.slice(2), {
  stdout: (d) => process.stdout.write(d),
  stderr: (d) => process.stderr.write(d),
  stdin: process.stdin,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
