#!/usr/bin/env node
import { main } from "./cli.js";

const code = await main(process.argv, {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  debug: process.env.MM_LAB_DEBUG === "1",
});
// a command may have set its own code (sweep: 130 after Ctrl-C); errors override it
if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
