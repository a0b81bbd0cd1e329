import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/**
 * Browser tests drive Debian's Chromium through playwright-core; no browser is ever downloaded.
 * Without /usr/bin/chromium they are skipped, except in CI, where .ci/run installs it first.
 */
export const CHROMIUM = "/usr/bin/chromium";

if (!existsSync(CHROMIUM) && process.env.CI === "true") {
  throw new Error(`CI=true but ${CHROMIUM} is missing: browser tests would be skipped`);
}
/** The `skip` option of a browser suite. */
export const BROWSER_SKIP: string | false = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing (apt-get install chromium): browser tests skipped`;

/** A headless Chromium that works in containers (no sandbox, no GPU, no background traffic). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}
