#!/usr/bin/env node
// The `page_owner_stacks` bin (see its --help).

import { runPageOwnerStacks } from "../analyzer/stacks/program.js";

for (const s of [process.stdout, process.stderr]) {
  s.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await runPageOwnerStacks(process.argv.slice(2), {
  stdout: (d) => process.stdout.write(d),
  stderr: (d) => process.stderr.write(d),
  stdin: process.stdin,
});
