/**
 * The matrix at 200 nodes × 500 tags, from a FAKE collector (canned JSON on
 * loopback, see fake-collector.ts): it renders fast, keeps only the visible
 * rows and columns in the DOM, and scrolling brings the later ones in.
 */
import { mkdir, writeFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, launchChromium, type PageWatch, watchPage } from "./browser.js";
import { type FakeCollector, startFakeCollector, syntheticCluster } from "./fake-collector.js";

const NODES = 200;
const TAGS = 500;
const ARTIFACTS = new URL("../artifacts/", import.meta.url);

let fake: FakeCollector;
let browser: Browser;
let page: Page;
let watch: PageWatch;

beforeAll(async () => {
  fake = await startFakeCollector(syntheticCluster(NODES, TAGS));
  browser = await launchChromium();
  page = await browser.context.newPage();
  watch = await watchPage(page);
});

afterAll(async () => {
  await browser?.close();
  await fake?.close();
});

/** Milliseconds from a scroll to two frames later (the rows drawn and painted). */
const scrollAndTime = (page: Page, to: "bottom" | "right") =>
  page.evaluate<number>(`new Promise((resolve) => {
    const grid = document.getElementById("grid");
    const started = performance.now();
    if (${JSON.stringify(to)} === "bottom") grid.scrollTop = grid.scrollHeight; else grid.scrollLeft = grid.scrollWidth;
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - started)));
  })`);

describe(`the matrix at ${NODES} nodes × ${TAGS} tags (fake collector)`, () => {
  it("renders in well under 500 ms and keeps far fewer than 100,000 cells in the DOM", async () => {
    const started = Date.now();
    await page.goto(fake.url);
    await page.waitForSelector("body[data-ready]", { timeout: 30_000 });
    const loadMs = Date.now() - started;
    const timing = JSON.parse(
      await page.evaluate<string>(`JSON.stringify({
        render: performance.getEntriesByName("imagedrift:first-render")[0].duration,
        paint: performance.getEntriesByName("imagedrift:first-paint")[0].duration,
      })`),
    ) as { render: number; paint: number };

    const grid = page.locator("#grid");
    expect(await grid.getAttribute("aria-rowcount")).toBe(String(TAGS + 1));
    expect(await grid.getAttribute("aria-colcount")).toBe(String(NODES + 1));
    const cells = await page.locator('[role="gridcell"]').count();
    const rows = await page.locator('[role="row"]').count();
    expect(cells).toBeGreaterThan(0);
    expect(cells).toBeLessThan(5_000);
    await expect.poll(() => page.getByRole("rowheader").first().textContent()).toContain("team-00/app-000:v0");
    expect(await page.getByText("app-499", { exact: false }).count()).toBe(0);
    expect(timing.render).toBeLessThan(500);
    expect(timing.paint).toBeLessThan(500);

    const scrollDownMs = await scrollAndTime(page, "bottom");
    await page.getByRole("rowheader", { name: /app-499:v2/ }).waitFor({ timeout: 5_000 });
    expect(await page.getByRole("rowheader", { name: /app-000:v0/ }).count()).toBe(0);
    const scrollRightMs = await scrollAndTime(page, "right");
    await page.getByRole("columnheader", { name: /node-200/ }).waitFor({ timeout: 5_000 });
    const cellsAfter = await page.locator('[role="gridcell"]').count();
    expect(cellsAfter).toBeLessThan(5_000);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL("web-scale.png", ARTIFACTS).pathname });
    const report = {
      nodes: NODES,
      tags: TAGS,
      loadMs,
      ...timing,
      scrollDownMs,
      scrollRightMs,
      cells,
      rows,
      cellsAfter,
    };
    await writeFile(new URL("web-scale.json", ARTIFACTS), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`web scale ${NODES}×${TAGS}: ${JSON.stringify(report)}`);
    expect(watch.errors).toEqual([]);
    expect(watch.offHost).toEqual([]);
  });

  it("keyboard: Ctrl+End reaches the last cell, Ctrl+Home the corner, and no focus is lost on the way", async () => {
    await page.getByRole("rowheader").first().waitFor();
    await page.locator("#grid [tabindex='0']").focus();
    await page.keyboard.press("Control+End");
    const last = page.locator("#grid :focus");
    expect(await last.getAttribute("aria-label")).toMatch(/^node-200: /);
    expect(await last.getAttribute("data-row")).toContain("app-499");
    await page.keyboard.press("Control+Home");
    expect(await page.locator("#grid :focus").getAttribute("data-kind")).toBe("corner");
    await page.keyboard.press("PageDown");
    await page.keyboard.press("ArrowRight");
    expect(await page.locator("#grid :focus").getAttribute("role")).toBe("gridcell");
  });
});
