/**
 * Where a number came from: the package version and the git revision of the code that ran, so a
 * printed result can be re-run exactly. The revision is read once per process; outside a git
 * checkout (an installed package) it is null, and `MM_LAB_REVISION` may set it (CI, containers).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

export interface Provenance {
  readonly package: string;
  readonly version: string;
  /** `git rev-parse HEAD` of the checkout the code runs from, or null. */
  readonly revision: string | null;
}

let cached: Provenance | undefined;

export function provenance(): Provenance {
  if (cached !== undefined) return cached;
  // src/ and dist/ both sit one level below package.json
  const pkgUrl = new URL("../package.json", import.meta.url);
  const pkg = JSON.parse(readFileSync(pkgUrl, "utf8")) as { name: string; version: string };
  let revision: string | null = process.env.MM_LAB_REVISION ?? null;
  if (revision === null) {
    try {
      revision = execFileSync("git", ["rev-parse", "HEAD"], {
        cwd: dirname(fileURLToPath(pkgUrl)),
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
    } catch {
      revision = null;
    }
  }
  cached = { package: pkg.name, version: pkg.version, revision };
  return cached;
}
