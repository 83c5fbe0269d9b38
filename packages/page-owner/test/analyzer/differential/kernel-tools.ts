// Where the kernel's own page_owner_sort builds are (scripts/build-kernel-tools.sh puts them in a
// cache outside the repo), or why they are not there.

import { accessSync, constants, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { CompatEra } from "../../../src/analyzer/compat/config.js";

/** One built kernel tool. */
export interface KernelTool {
  readonly era: CompatEra;
  readonly path: string;
  /** The Debian package version it was built from ("6.1.192-3"), or "unknown". */
  readonly version: string;
}

/** The cache directory the build script writes to. */
export function kernelToolsDir(): string {
  return process.env.MM_KERNEL_TOOLS_DIR ?? join(homedir(), ".cache", "mm-lab", "kernel-tools");
}

/** The tool of one era, or a sentence saying why it is missing. */
export function findKernelTool(era: CompatEra): KernelTool | string {
  const dir = kernelToolsDir();
  const path = join(dir, `page_owner_sort-${era}`);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return `the kernel's page_owner_sort ${era} is not built in ${dir} (run packages/page-owner/scripts/build-kernel-tools.sh; .ci/run does)`;
  }
  let version = "unknown";
  try {
    version = readFileSync(join(dir, `VERSION-${era}`), "utf8").trim().split(" ")[1] ?? "unknown";
  } catch {
    // built by hand: no version file
  }
  return { era, path, version };
}
