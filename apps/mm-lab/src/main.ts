#!/usr/bin/env node
import { main } from "./cli.js";

process.exitCode = await main(process.argv, {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  debug: process.env.MM_LAB_DEBUG === "1",
});
