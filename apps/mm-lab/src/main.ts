#!/usr/bin/env node
import { Command } from "commander";
import { runCli } from "./cli.js";

await runCli(new Command(), process.argv);
