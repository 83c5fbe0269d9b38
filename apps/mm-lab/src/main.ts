#!/usr/bin/env node
import { main } from "./cli.js";

// `mm-lab query … | head`: the reader closing the pipe ends the output, not with a Node stack
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  process.stderr.write(`mm-lab: EIO: stdout: ${e.message}\n`);
  process.exit(1);
});

const code = await main(process.argv, {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  debug: process.env.MM_LAB_DEBUG === "1",
});
// a command may have set its own code (sweep: 130 after Ctrl-C); errors override it
if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
