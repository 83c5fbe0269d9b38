/**
 * The mm-lab version and the git revision of the code that ran, for runs that do not echo them
 * themselves. The revision is "unknown" outside a git checkout (an npm install).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** This app's package.json: two levels up from src/report/ and from dist/report/ alike. */
const PACKAGE_JSON = new URL("../../package.json", import.meta.url);

/** The @mm/lab version. */
export function labVersion(): string {
  try {
    const v = (JSON.parse(readFileSync(PACKAGE_JSON, "utf8")) as { version?: unknown }).version;
    return typeof v === "string" ? v : "unknown";
  } catch {
    return "unknown";
  }
}

/** `git rev-parse HEAD` of the checkout holding this code, with "-dirty" if tracked files changed. */
export function gitRevision(): string {
  const cwd = new URL(".", PACKAGE_JSON).pathname;
  try {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return dirty === "" ? head : `${head}-dirty`;
  } catch {
    return "unknown";
  }
}
