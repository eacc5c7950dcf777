/**
 * Debian's Chromium driven by playwright-core, with the flags this machine
 * needs (no background networking: its connections are refused here) and a
 * fresh profile. No browser is ever downloaded: without /usr/bin/chromium the
 * tests fail and say how to install it.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1440, height: 900 }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the page tests drive Debian's Chromium. Install it with "apt-get install -y chromium" (CI: add the chromium package to .ci/run). Never "playwright install".`,
    );
  }
  const profile = await mkdtemp(join(tmpdir(), "idw-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface PageWatch {
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Every URL the page requested. */
  urls: string[];
  /** Requests to anything but 127.0.0.1 (aborted). */
  offHost: string[];
}

/**
 * Records console errors and page errors, and lets only 127.0.0.1 through:
 * anything else is aborted and recorded, so a test can assert that nothing
 * left the machine.
 */
export async function watchPage(page: Page): Promise<PageWatch> {
  const watch: PageWatch = { errors: [], urls: [], offHost: [] };
  page.on("console", (message) => {
    if (message.type() === "error") watch.errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => watch.errors.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    const failure = request.failure()?.errorText ?? "";
    // Aborted by this watch (off-host) or cancelled by the page itself on navigation: recorded elsewhere.
    if (!failure.includes("ERR_ABORTED")) watch.errors.push(`request failed: ${request.url()} ${failure}`);
  });
  await page.route("**/*", async (route) => {
    const url = route.request().url();
    watch.urls.push(url);
    if (new URL(url).hostname !== "127.0.0.1") {
      watch.offHost.push(url);
      await route.abort();
      return;
    }
    await route.continue();
  });
  return watch;
}
