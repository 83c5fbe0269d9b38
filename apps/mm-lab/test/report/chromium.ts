/**
 * Finding and launching Debian's chromium for the browser test. `.ci/pre.d/chromium.sh` installs it
 * in CI; when it truly cannot be had the test skips, saying why (never silently, never failing).
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Where to look: $MM_CHROMIUM first, then Debian's and Ubuntu's paths. */
const CANDIDATES = [process.env.MM_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"];

/** The chromium binary, or null. */
export function findChromium(): string | null {
  for (const c of CANDIDATES) if (c !== undefined && c !== "" && existsSync(c)) return c;
  return null;
}

/** Why the browser test skips, for the test log. */
export const SKIP_REASON =
  "browser test SKIPPED: no chromium at $MM_CHROMIUM, /usr/bin/chromium or /usr/bin/chromium-browser " +
  "(.ci/pre.d/chromium.sh installs Debian's `chromium` with apt-get; run it, or set MM_CHROMIUM)";

/** Launch headless with the flags a container needs and no background traffic of its own. */
export function launch(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}
