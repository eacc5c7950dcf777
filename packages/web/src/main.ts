/**
 * The page's wiring: reads the REST API (the only data source), draws the
 * matrix, the findings and the panels, and polls for updates without a reload.
 */
import { ApiError, createApi } from "./api.js";
import type { AppContext, Snapshot } from "./app-context.js";
import { createRowCache } from "./digest-groups.js";
import { byId } from "./dom.js";
import { Drawer } from "./drawer.js";
import { DRIFT_STATUSES, filterTags } from "./filters.js";
import { FindingsPanel } from "./findings-panel.js";
import { JobTracker } from "./job-tracker.js";
import { type JobsPanel, jobsPanel } from "./jobs-panel.js";
import { Matrix } from "./matrix.js";
import { NamespaceLoader } from "./namespace-loader.js";
import { nodePanel } from "./node-detail.js";
import { installPalette } from "./palette.js";
import { Poller } from "./poller.js";
import { drawRegistryWarning, registryWarningElement } from "./registry-warning.js";
import { tagPanel } from "./tag-detail.js";
import { TokenStore } from "./token.js";
import { Toolbar } from "./toolbar.js";

const POLL_MS = 5000;

installPalette(document.documentElement);
const token = new TokenStore(sessionStorage);
const api = createApi({ base: document.baseURI, token: () => token.get() });
const snapshot: Snapshot = { nodes: [], tags: [], findings: [] };
const raw = { nodes: "", tags: "", findings: "" };
const rowOf = createRowCache();
const live = byId("copy-status");
let jobs: JobsPanel | null = null;

function announce(message: string): void {
  live.textContent = "";
  setTimeout(() => {
    live.textContent = message;
  }, 50);
}

const app: AppContext = {
  api,
  snapshot: () => snapshot,
  rowOf,
  announce,
  openTag: (reference, opener) => drawer.open(tagPanel(reference, app), opener),
  openNode: (name, opener) => drawer.open(nodePanel(name, app), opener),
  openJobs: (draft, opener) => {
    if (jobs && drawer.current === jobs) {
      jobs.apply(draft);
      byId("drawer-title").focus();
      return;
    }
    jobs = jobsPanel({ app, tracker, token }, draft);
    drawer.open(jobs, opener);
  },
};

const matrix = new Matrix(byId("grid"), { openTag: app.openTag, openNode: app.openNode });
const drawer = new Drawer(
  {
    root: byId<HTMLDialogElement>("drawer"),
    title: byId("drawer-title"),
    body: byId("drawer-body"),
    close: byId("drawer-close"),
  },
  () => matrix.focus(),
);
const findingsPanel = new FindingsPanel(byId("findings-list"), byId("findings-title"), {
  open: (finding, opener) =>
    finding.kind === "agent-missing" ? app.openNode(finding.reference, opener) : app.openTag(finding.reference, opener),
  announce,
});
const tracker = new JobTracker(api, {
  changed: () => {
    if (jobs && drawer.current === jobs) jobs.update?.();
  },
  finished: (job) => {
    announce(`${job.type} job ${job.state}`);
    void poller.now();
  },
});
const namespaces = new NamespaceLoader(
  api,
  () => snapshot,
  () => drawMatrix(),
);
const toolbar = new Toolbar(
  {
    form: byId<HTMLFormElement>("filters"),
    status: byId<HTMLSelectElement>("f-status"),
    search: byId<HTMLInputElement>("f-search"),
    namespace: byId<HTMLSelectElement>("f-namespace"),
    count: byId("f-count"),
  },
  namespaces,
  () => drawMatrix(),
);

for (const [id, draft] of [
  ["open-jobs", null],
  ["open-prune", { type: "prune", dryRun: true }],
] as const) {
  const button = byId(id);
  button.addEventListener("click", () => app.openJobs(draft, button));
}

function drawTokenState(): void {
  byId("token-state").textContent = token.get() ? "token set ✓" : "";
}
token.onChange(drawTokenState);
drawTokenState();

function drawMatrix(): void {
  const { namespace } = toolbar.filter;
  const shown = filterTags(snapshot.tags, toolbar.filter, namespace ? namespaces.tagsOf(namespace) : null);
  matrix.setData({ nodes: snapshot.nodes, tags: shown, rowOf });
  toolbar.showCount(shown.length, snapshot.tags.length);
  const empty = byId("empty");
  const why =
    snapshot.nodes.length === 0
      ? "No node has reported yet: start an agent with --collector pointing at this collector."
      : snapshot.tags.length === 0
        ? "The nodes hold no tagged image."
        : shown.length === 0
          ? namespace && !namespaces.index
            ? "Loading the pods' namespaces…"
            : "No tag matches the filters."
          : "";
  empty.hidden = !why;
  empty.textContent = why;
}

function drawSummary(): void {
  const drift = snapshot.tags.filter((t) => DRIFT_STATUSES.includes(t.status)).length;
  const missing = snapshot.nodes.filter((n) => n.state === "missing").length;
  const time = new Date().toTimeString().slice(0, 8);
  byId("summary").textContent =
    `${snapshot.nodes.length} nodes${missing ? ` (${missing} missing)` : ""} · ${snapshot.tags.length} tags · ` +
    `${drift} need attention · ${snapshot.findings.length} findings · updated ${time}`;
  document.title = drift > 0 ? `imagedrift (${drift} need attention)` : "imagedrift";
}

function showProblem(thrown: unknown): void {
  const text =
    thrown === null
      ? ""
      : thrown instanceof ApiError && thrown.status === 401
        ? "⚠ This collector protects reads: open Jobs and enter the token."
        : `⚠ ${(thrown as Error).message}: retrying`;
  const status = byId("status");
  if (status.textContent !== text) status.textContent = text;
}

let first = true;
const registryWarning = registryWarningElement(byId("grid").closest("main") ?? byId("grid"));

async function refresh(): Promise<void> {
  try {
    // An older collector without the endpoint: no warning rather than a failed refresh.
    void api.registryAuthProblems().then(
      (problems) => drawRegistryWarning(registryWarning, problems),
      () => drawRegistryWarning(registryWarning, []),
    );
    const [nodes, tags, findings] = await Promise.all([api.nodes(), api.tags(), api.findings()]);
    if (first) performance.mark("imagedrift:data");
    const changed = nodes.raw !== raw.nodes || tags.raw !== raw.tags || findings.raw !== raw.findings;
    if (changed) {
      Object.assign(snapshot, { nodes: nodes.items, tags: tags.items, findings: findings.items });
      Object.assign(raw, { nodes: nodes.raw, tags: tags.raw, findings: findings.raw });
      toolbar.updateCounts(snapshot.tags);
      drawMatrix();
      findingsPanel.update(snapshot.findings, raw.findings);
    }
    drawer.update();
    drawSummary();
    showProblem(null);
    toolbar.refreshNamespaces();
    if (first) {
      first = false;
      performance.measure("imagedrift:first-render", "imagedrift:data");
      // After the next frame is painted: what a person waits for.
      requestAnimationFrame(() =>
        setTimeout(() => {
          performance.measure("imagedrift:first-paint", "imagedrift:data");
          document.body.dataset.ready = "true";
        }),
      );
    }
  } catch (thrown) {
    showProblem(thrown);
  }
}

const poller = new Poller(refresh, POLL_MS);
void poller.now();
