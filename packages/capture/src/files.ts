/**
 * A capture directory: what a user copies off a machine. Each file is looked up under its /proc
 * or debugfs name, with or without `.txt`, at the top or under `proc/` (the layout of
 * fixtures/kernel-6.1-256M/); the page_owner dump may be gzip-compressed. Only the dump is required.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { MmError } from "@mm/api";

/** The texts of a capture; everything but the dump is optional. */
export interface CaptureInput {
  /** /sys/kernel/debug/page_owner bytes (gzip allowed) or text. */
  readonly pageOwner: Uint8Array | string;
  readonly iomem?: string;
  readonly zoneinfo?: string;
  readonly buddyinfo?: string;
  readonly pagetypeinfo?: string;
  readonly meminfo?: string;
  readonly dmesg?: string;
}

/** Names of the optional files, in the order the import reports them. */
export const CAPTURE_FILES = ["iomem", "zoneinfo", "buddyinfo", "pagetypeinfo", "meminfo", "dmesg"] as const;
export type CaptureFileName = (typeof CAPTURE_FILES)[number];

const DUMP_NAMES = ["page_owner", "page_owner.txt", "page_owner.txt.gz", "page_owner.gz"];

function firstExisting(dir: string, names: readonly string[]): string | null {
  for (const sub of ["", "proc", "sys/kernel/debug"]) {
    for (const n of names) {
      const p = join(dir, sub, n);
      if (existsSync(p) && statSync(p).isFile()) return p;
    }
  }
  return null;
}

/** The paths found, by file. */
export interface CaptureDir {
  readonly input: CaptureInput;
  readonly paths: Readonly<Record<CaptureFileName | "pageOwner", string | null>>;
}

/**
 * Read a capture directory.
 * @throws MmError EINVAL when the directory does not exist or holds no page_owner dump.
 */
export function readCaptureDir(dir: string): CaptureDir {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new MmError("EINVAL", `capture directory ${dir} does not exist`);
  const dump = firstExisting(dir, DUMP_NAMES);
  if (dump === null) throw new MmError("EINVAL", `no page_owner dump in ${dir} (looked for ${DUMP_NAMES.join(", ")})`);
  const paths: Record<string, string | null> = { pageOwner: dump };
  const input: Record<string, string | Uint8Array> = { pageOwner: readFileSync(dump) };
  for (const name of CAPTURE_FILES) {
    const p = firstExisting(dir, name === "dmesg" ? ["dmesg", "dmesg.txt", "dmesg.log"] : [name, `${name}.txt`]);
    paths[name] = p;
    if (p !== null) input[name] = readFileSync(p, "utf8");
  }
  return { input: input as unknown as CaptureInput, paths: paths as CaptureDir["paths"] };
}
