#!/usr/bin/env node
/* global URL, process */
// `npx mm-lab` from the repo root: the built CLI when `dist/` exists (after `npm run demo` or
// `pnpm build`), else the TypeScript sources through tsx (after `npm test`, nothing built).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const dist = fileURLToPath(new URL("../dist/main.js", import.meta.url));
if (existsSync(dist)) {
  await import(new URL("../dist/main.js", import.meta.url).href);
} else {
  const src = fileURLToPath(new URL("../src/main.ts", import.meta.url));
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const r = spawnSync(process.execPath, ["--import", new URL(`file://${tsx}`).href, "--conditions=@mm/source", src, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exitCode = r.status ?? 1;
}
