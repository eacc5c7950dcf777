/**
 * The web page against a REAL lab: 3 containerd nodes, a registry with the
 * seeds' incidents, the collector (with a token) and 3 agents, driven in
 * Debian's Chromium. Nothing may leave 127.0.0.1 and the console stays clean.
 *
 * The screenshot lands in test/artifacts/web-lab.png; with
 * UPDATE_DOCS_SCREENSHOT=1 it also replaces docs/screenshot.png.
 */
import { copyFile, mkdir, mkdtemp } from "node:fs/promises";
import { shortDigest as short } from "@imagedrift/core";
import { CriClient } from "@imagedrift/cri";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findings, nodes, tag } from "../collector/api.js";
import { type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type Incidents, seedIncidents } from "../scenario/incidents.js";
import { type Agent, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { type Browser, launchChromium, type PageWatch, watchPage } from "./browser.js";

const TOKEN = "lab-token-web-5c1e";
const ARTIFACTS = new URL("../artifacts/", import.meta.url);
const DOCS_SCREENSHOT = new URL("../../docs/screenshot.png", import.meta.url);

let lab: Lab;
let incidents: Incidents;
let collector: Collector;
const agents: Agent[] = [];
let browser: Browser;
let page: Page;
let watch: PageWatch;

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1", "n2", "n3"] });
  const dir = await mkdtemp("/tmp/idl-web-");
  incidents = await seedIncidents(lab);
  collector = await startCollector({ dir, token: TOKEN, resolveInterval: "2s" });
  for (const node of lab.nodes) {
    agents.push(
      await startAgent({
        dir,
        node: node.name,
        endpoint: node.endpoint,
        collector: collector.grpcAddress,
        tokenFile: collector.tokenFile,
      }),
    );
  }
  await waitFor(
    async () => {
      const list = await nodes(collector.url);
      const web = await tag(collector.url, incidents.web.ref);
      const running = (await findings(collector.url)).some((f) => f.kind === "running-stale");
      return list.length === 3 && list.every((n) => n.imageFs.usedBytes > 0) && web?.registryDigest && running;
    },
    { what: "3 inventories, web:latest resolved and running-stale found", timeoutMs: 60_000 },
  );
  browser = await launchChromium({ width: 1360, height: 760 });
  await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: collector.url });
  page = await browser.context.newPage();
  watch = await watchPage(page);
  await page.goto(collector.url);
  await page.waitForSelector("body[data-ready]", { timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled(agents.map((a) => a.stop()));
  await collector?.stop();
  await lab?.stop();
});

const row = (reference: string) => page.locator(`[role="row"]:has([role="rowheader"][data-row="${reference}"])`);

describe("the page, served by the collector", () => {
  it("is built assets: the HTML never cached, hashed files cached for a year, each with its content type", async () => {
    const index = await fetch(`${collector.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(index.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await index.text();
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.some((a) => a?.endsWith(".js"))).toBe(true);
    expect(assets.some((a) => a?.endsWith(".css"))).toBe(true);
    for (const asset of assets) {
      const response = await fetch(`${collector.url}/${asset}`);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      const type = asset?.endsWith(".js") ? "text/javascript" : asset?.endsWith(".css") ? "text/css" : "image/svg+xml";
      expect(response.headers.get("content-type")).toContain(type);
      expect(await response.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    }
    expect((await fetch(`${collector.url}/assets/nope-1234.js`)).status).toBe(404);
    expect((await fetch(`${collector.url}/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
  });
});

describe("the page on the lab", () => {
  it("shows the 3 nodes, the tags, and the drift: shop/web:latest has 2 digest groups, n1 stale", async () => {
    for (const name of ["n1", "n2", "n3"]) {
      await expect.poll(() => page.getByRole("columnheader", { name: new RegExp(`^${name}\\b`) }).count()).toBe(1);
    }
    for (const incident of [incidents.web, incidents.api, incidents.legacy, incidents.tools, incidents.runtime]) {
      await row(incident.ref).waitFor();
    }
    const web = row(incidents.web.ref);
    await expect.poll(() => web.getByRole("rowheader").textContent()).toContain("inconsistent");
    expect(await web.getByRole("rowheader").textContent()).toContain("2 digests");
    expect(await web.getByRole("rowheader").textContent()).toContain(`reg ${short(incidents.web.newDigest)}`);
    const cells = web.getByRole("gridcell");
    expect(await cells.count()).toBe(3);
    const cell = (node: string) => web.locator(`[role="gridcell"][data-col="${node}"]`);
    const groupOf = async (node: string) => (await cell(node).getAttribute("class"))?.match(/\bg\d\b/)?.[0];
    const groups = await Promise.all(["n1", "n2", "n3"].map(groupOf));
    expect(new Set(groups).size).toBe(2);
    expect(groups[1]).toBe(groups[2]);
    expect(groups[0]).not.toBe(groups[1]);
    expect(await cell("n1").textContent()).toContain(short(incidents.web.oldDigest).replace(/^sha256:/, ""));
    expect(await cell("n1").textContent()).toContain("stale");
    expect(await cell("n1").getAttribute("aria-label")).toBe(
      `n1: ${short(incidents.web.oldDigest)}, digest B, one of 2, stale`,
    );
    expect(await cell("n2").getAttribute("aria-label")).toBe(
      `n2: ${short(incidents.web.newDigest)}, digest A, one of 2, the registry's digest, current`,
    );
    // legacy:1.0 was deleted from the registry: its cells say so, and no group is the registry's (no A).
    const legacy = row(incidents.legacy.ref).locator('[data-col="n1"]');
    await expect.poll(() => legacy.textContent()).toContain("not in registry");
    expect(await legacy.getAttribute("class")).toMatch(/\bs-missing\b/);
    expect(await legacy.getAttribute("aria-label")).toBe(
      `n1: ${short(incidents.legacy.digest)}, digest B, one of 1, not in registry`,
    );
    // api:stable is not on n2: its cell is empty.
    expect(await row(incidents.api.ref).locator('[data-col="n2"]').getAttribute("aria-label")).toBe("n2: not held");

    await mkdir(ARTIFACTS, { recursive: true });
    const shot = new URL("web-lab.png", ARTIFACTS).pathname;
    await page.screenshot({ path: shot });
    if (process.env.UPDATE_DOCS_SCREENSHOT === "1") {
      await mkdir(new URL(".", DOCS_SCREENSHOT), { recursive: true });
      await copyFile(shot, DOCS_SCREENSHOT);
    }
  });

  it("lists running-stale in the findings panel with its remedy, and copies the remedy", async () => {
    const finding = (await findings(collector.url)).find((f) => f.kind === "running-stale");
    expect(finding).toBeDefined();
    const item = page.locator('#findings li[data-kind="running-stale"]');
    await item.waitFor();
    expect(await item.textContent()).toContain("critical");
    expect(await item.locator("code").textContent()).toBe(finding?.remedy);
    await item.getByRole("button", { name: /^Copy the remedy/ }).click();
    await expect.poll(() => page.evaluate<string>("navigator.clipboard.readText()")).toBe(finding?.remedy);
  });

  it("keyboard: Tab reaches the matrix, arrows reach a cell, Enter opens the tag, Escape closes it", async () => {
    await page.locator("body").focus();
    await page.evaluate("document.activeElement && document.activeElement.blur()");
    for (let i = 0; i < 20 && !(await page.locator("#grid :focus").count()); i++) await page.keyboard.press("Tab");
    expect(await page.locator("#grid :focus").getAttribute("data-kind")).toBe("corner");
    for (let i = 0; i < 30; i++) {
      if ((await page.locator("#grid :focus").getAttribute("data-row")) === incidents.web.ref) break;
      await page.keyboard.press("ArrowDown");
    }
    await page.keyboard.press("ArrowRight");
    const focused = page.locator("#grid :focus");
    expect(await focused.getAttribute("role")).toBe("gridcell");
    expect(await focused.getAttribute("data-col")).toBe("n1");
    await page.keyboard.press("Enter");
    const drawer = page.getByRole("dialog");
    await drawer.waitFor();
    expect(await drawer.getByRole("heading", { level: 2 }).textContent()).toBe("Tag shop/web:latest");
    const detail = drawer.locator("table");
    await expect.poll(() => detail.textContent()).toContain(short(incidents.web.oldDigest));
    expect(await drawer.textContent()).toContain(incidents.web.newDigest);
    expect(await drawer.locator("tr", { hasText: "n1" }).textContent()).toContain("stale");
    expect(await drawer.textContent()).toContain("inconsistent-tag");
    expect(await drawer.textContent()).toMatch(/since \d{4}-\d\d-\d\d/);
    // When and why the registry was last asked: the periodic resolve, every 2 s here.
    await expect.poll(() => drawer.textContent()).toContain("by the periodic resolve (poll)");
    await page.screenshot({ path: new URL("web-lab-tag.png", ARTIFACTS).pathname });
    await page.keyboard.press("Escape");
    await drawer.waitFor({ state: "hidden" });
    expect(await page.locator("#grid :focus").getAttribute("data-col")).toBe("n1");
  });

  it("node detail: a column header opens the node's images, sizes, disk used and the pods using them", async () => {
    await page.getByRole("columnheader", { name: /^n1\b/ }).click();
    const drawer = page.getByRole("dialog");
    expect(await drawer.getByRole("heading", { level: 2 }).textContent()).toBe("Node n1");
    await expect.poll(() => drawer.locator("table").count()).toBe(1);
    const text = await drawer.textContent();
    expect(text).toContain("Disk used");
    // The agent follows lab containerd's event stream, and says so to the collector.
    expect(text).toContain("Scan modeevents: rescans on the runtime's events");
    expect(await page.getByRole("columnheader", { name: /^n1\b/ }).getAttribute("title")).toContain("events:");
    expect(text).toContain("shop/web-1 · web (running)");
    expect(text).toContain(incidents.legacy.ref);
    await page.screenshot({ path: new URL("web-lab-node.png", ARTIFACTS).pathname });
    await drawer.getByRole("button", { name: /Close panel/ }).click();
    await drawer.waitFor({ state: "hidden" });
  });

  it("filters by status, text and namespace (namespaces loaded on demand)", async () => {
    await page.getByLabel("Status").selectOption("stale");
    await expect.poll(() => page.getByRole("rowheader").count()).toBe(1);
    await row(incidents.api.ref).waitFor();
    await page.getByLabel("Status").selectOption("");
    await page.getByLabel("Search").fill("legacy");
    await expect.poll(() => page.getByRole("rowheader").count()).toBe(1);
    await page.getByLabel("Search").fill("");
    const namespace = page.getByLabel("Namespace");
    await namespace.focus();
    await expect.poll(() => namespace.locator("option").allTextContents()).toContain("shop");
    await namespace.selectOption("shop");
    await expect.poll(() => page.getByRole("rowheader").count()).toBe(1);
    await row(incidents.web.ref).waitFor();
    await namespace.selectOption("");
    await expect.poll(() => page.getByRole("rowheader").count()).toBeGreaterThan(4);
  });

  it("launches a dry-run prune with the token typed in the page, and shows each node's result", async () => {
    const before = await nodes(collector.url);
    await page.getByRole("button", { name: "Prune…" }).click();
    const drawer = page.getByRole("dialog");
    await page.getByLabel("Collector token").fill(TOKEN);
    await drawer.getByRole("button", { name: "Use token" }).click();
    expect(await page.evaluate<string>("sessionStorage.getItem('imagedrift.token')")).toBe(TOKEN);
    expect(await page.getByLabel(/Dry run/).isChecked()).toBe(true);
    const submit = drawer.locator("#job-submit");
    expect(await submit.textContent()).toBe("Start prune (dry run)");
    await submit.click();
    const progress = drawer.locator("#job-progress");
    for (const node of ["n1", "n2", "n3"]) {
      const line = progress.locator(`tr[data-node="${node}"]`);
      await expect
        .poll(() => line.locator(".job-node-state").textContent(), { timeout: 60_000 })
        .toContain("succeeded");
      expect(await line.locator(".job-node-result").textContent()).toMatch(/would remove [1-9]\d* image/);
      expect(await line.locator(".job-node-bytes").textContent()).toMatch(/\d+(\.\d+)? (B|KiB|MiB)/);
    }
    await expect.poll(() => progress.locator(".job-title").textContent()).toContain("succeeded");
    await progress.scrollIntoViewIfNeeded();
    await page.screenshot({ path: new URL("web-lab-prune.png", ARTIFACTS).pathname });
    const jobs = (await (await fetch(`${collector.url}/api/v1/jobs`)).json()) as {
      items: { type: string; createdBy: string; request: { dryRun?: boolean } }[];
    };
    expect(jobs.items[0]).toMatchObject({ type: "prune", createdBy: "token", request: { dryRun: true } });
    // A dry run removes nothing.
    const after = await nodes(collector.url);
    expect(after.map((n) => n.imageCount)).toEqual(before.map((n) => n.imageCount));
    await page.keyboard.press("Escape");
    await drawer.waitFor({ state: "hidden" });
  });

  it("updates without a reload: the matrix and the open panel follow the cluster, focus stays where it was", async () => {
    await page.evaluate("window.samePage = true");
    const n1 = row(incidents.web.ref).locator('[data-col="n1"]');
    await n1.click();
    const drawer = page.getByRole("dialog");
    await drawer.getByRole("button", { name: "Copy the tag" }).focus();
    const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
    try {
      await cri.pullImage(incidents.web.ref);
    } finally {
      cri.close();
    }
    await expect.poll(() => n1.getAttribute("aria-label"), { timeout: 30_000 }).toContain("current");
    await expect.poll(() => row(incidents.web.ref).getByRole("rowheader").textContent()).toContain("current");
    await expect.poll(() => drawer.locator("tr", { hasText: "n1" }).textContent()).toContain("current");
    expect(await page.evaluate<boolean>("window.samePage === true")).toBe(true);
    expect(await drawer.isVisible()).toBe(true);
    expect(await page.evaluate<string>("document.activeElement.getAttribute('aria-label')")).toBe("Copy the tag");
    await page.keyboard.press("Escape");
    expect(await page.locator("#grid :focus").getAttribute("data-col")).toBe("n1");
  });

  it("logged no console error, and no request left 127.0.0.1", async () => {
    expect(watch.errors).toEqual([]);
    expect(watch.offHost).toEqual([]);
    expect(watch.urls.length).toBeGreaterThan(5);
    for (const url of watch.urls) expect(new URL(url).hostname, url).toBe("127.0.0.1");
  });
});
