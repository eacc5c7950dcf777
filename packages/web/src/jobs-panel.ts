/**
 * The Jobs panel: the token (sessionStorage), a form for prepull, refresh and
 * prune (prune is a dry run unless unticked, and then asks to confirm), the
 * followed job's live progress, and recent jobs.
 */
import { ApiError } from "./api.js";
import type { Job, JobType } from "./api-types.js";
import type { AppContext, JobDraft } from "./app-context.js";
import { h, rerender } from "./dom.js";
import type { Panel } from "./drawer.js";
import { formatTime } from "./format.js";
import { jobRequest } from "./job-request.js";
import type { JobTracker } from "./job-tracker.js";
import { jobStateBadge, jobView } from "./job-view.js";
import type { TokenStore } from "./token.js";
import { tokenSection } from "./token-section.js";

const TYPES: { type: JobType; label: string; hint: string }[] = [
  { type: "prepull", label: "Prepull", hint: "make images present on nodes" },
  { type: "refresh", label: "Refresh", hint: "pull stale or inconsistent tags again where the digest differs" },
  { type: "prune", label: "Prune", hint: "remove images by policy; never one in use, pinned or a sandbox" },
];

export interface JobsPanelDeps {
  app: AppContext;
  tracker: JobTracker;
  token: TokenStore;
}

export interface JobsPanel extends Panel {
  apply(draft: JobDraft | null): void;
}

export function jobsPanel(deps: JobsPanelDeps, initial: JobDraft | null): JobsPanel {
  const { app, tracker } = deps;
  const radios = new Map<JobType, HTMLInputElement>();
  const images = h("textarea", { id: "job-images", rows: 2, spellcheck: "false" });
  const imagesHint = h("p", { class: "hint", id: "job-images-hint" });
  const mode = h(
    "select",
    { id: "job-mode" },
    h("option", { value: "unused" }, "unused: images no container uses"),
    h("option", { value: "dangling" }, "dangling: images with no tag"),
    h("option", { value: "stale" }, "stale: images whose tag moved on in the registry"),
  );
  const keep = h("textarea", { id: "job-keep", rows: 2, spellcheck: "false", placeholder: "docker.io/library/*" });
  const dryRun = h("input", { type: "checkbox", id: "job-dry-run", checked: true });
  const allowUnrecoverable = h("input", { type: "checkbox", id: "job-allow-unrecoverable", checked: false });
  const nodeBoxes = h("div", { class: "node-boxes" });
  const submit = h("button", { type: "submit", class: "primary", id: "job-submit" });
  const error = h("p", { class: "error", role: "alert" });
  const progress = h("div", { class: "job-view", id: "job-progress" });
  const recent = h("ul", { class: "recent plain" });
  let confirming = false;
  let drawnJob = "";
  let recentAt = 0;
  let nodeNames = "";

  const selectedType = (): JobType => [...radios].find(([, r]) => r.checked)?.[0] ?? "prune";

  function syncForm(): void {
    const type = selectedType();
    confirming = false;
    const wantsImages = type !== "prune";
    images.closest("div")?.toggleAttribute("hidden", !wantsImages);
    mode.closest("fieldset")?.toggleAttribute("hidden", type !== "prune");
    imagesHint.textContent = type === "prepull" ? "One or more references." : "Empty: every stale or inconsistent tag.";
    submit.textContent = `Start ${type}${dryRun.checked ? " (dry run)" : ""}`;
    submit.classList.toggle("danger", type === "prune" && !dryRun.checked);
  }

  function drawNodes(): void {
    const names = app.snapshot().nodes.map((n) => n.name);
    if (names.join("\n") === nodeNames) return;
    nodeNames = names.join("\n");
    const ticked = new Set([...nodeBoxes.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value));
    nodeBoxes.replaceChildren(
      ...names.map((name) =>
        h(
          "label",
          {},
          h("input", { type: "checkbox", name: "node", value: name, checked: ticked.has(name) }),
          ` ${name}`,
        ),
      ),
    );
  }

  function apply(draft: JobDraft | null): void {
    if (!draft) return;
    const type = draft.type ?? "prune";
    for (const [t, radio] of radios) radio.checked = t === type;
    images.value = (draft.images ?? []).join("\n");
    dryRun.checked = draft.dryRun ?? type === "prune";
    allowUnrecoverable.checked = false;
    drawNodes();
    const wanted = new Set(draft.nodes ?? []);
    for (const box of nodeBoxes.querySelectorAll<HTMLInputElement>("input")) box.checked = wanted.has(box.value);
    error.textContent = "";
    syncForm();
  }

  function drawJob(): void {
    const sig = JSON.stringify([tracker.job, tracker.error]);
    if (sig === drawnJob) return;
    drawnJob = sig;
    const job = tracker.job;
    const view = job ? jobView(job, () => void tracker.cancel()) : [h("p", { class: "muted" }, "No job followed yet.")];
    if (tracker.error) view.push(h("p", { class: "error" }, tracker.error));
    rerender(progress, view);
  }

  async function drawRecent(force = false): Promise<void> {
    if (!force && Date.now() - recentAt < 4000) return;
    recentAt = Date.now();
    let jobs: Job[];
    try {
      jobs = (await app.api.jobs(10)).items;
    } catch (thrown) {
      rerender(recent, [h("li", { class: "error" }, `Jobs could not be listed: ${(thrown as Error).message}`)]);
      return;
    }
    rerender(
      recent,
      jobs.length === 0
        ? [h("li", { class: "muted" }, "No jobs yet.")]
        : jobs.map((job) => {
            const view = h(
              "button",
              { type: "button", class: "link", "data-key": `recent-${job.id}` },
              `${job.type}${job.request?.dryRun ? " (dry run)" : ""} · ${formatTime(job.createdAt)}`,
            );
            view.addEventListener("click", () => {
              tracker.follow(job);
              progress.querySelector<HTMLElement>("p")?.scrollIntoView({ block: "nearest" });
            });
            return h("li", {}, view, " ", jobStateBadge(job.state));
          }),
    );
  }

  async function start(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    error.textContent = "";
    const type = selectedType();
    if (type === "prune" && !dryRun.checked && !confirming) {
      confirming = true;
      submit.textContent = "Confirm: remove images for real";
      return;
    }
    const nodes = [...nodeBoxes.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value);
    const request = jobRequest({
      type,
      images: images.value,
      nodes,
      dryRun: dryRun.checked,
      mode: mode.value as "unused" | "dangling" | "stale",
      keep: keep.value,
      allowUnrecoverable: allowUnrecoverable.checked,
    });
    if ("error" in request) {
      error.textContent = request.error;
      return;
    }
    submit.disabled = true;
    try {
      const job = await app.api.startJob(request);
      tracker.follow(job);
      app.announce(`${type} job started on ${job.nodes.length || "every"} node(s)`);
      void drawRecent(true);
    } catch (thrown) {
      const e = thrown as Error;
      error.textContent =
        thrown instanceof ApiError && thrown.status === 401
          ? `The collector refused: ${e.message}. Enter the token above.`
          : `The job was not started: ${e.message}`;
      if (thrown instanceof ApiError && thrown.status === 401) token.input.focus();
    } finally {
      submit.disabled = false;
      syncForm();
    }
  }

  const token = tokenSection(deps, () => submit.focus());
  const typeSet = h(
    "fieldset",
    {},
    h("legend", {}, "Type"),
    TYPES.map(({ type, label, hint }) => {
      const radio = h("input", { type: "radio", name: "job-type", value: type, id: `job-type-${type}` });
      radios.set(type, radio);
      radio.addEventListener("change", () => {
        // Prune starts as a dry run whenever it is chosen; the other types keep what was ticked.
        if (type === "prune") dryRun.checked = true;
        syncForm();
      });
      return h(
        "label",
        { for: `job-type-${type}`, class: "radio" },
        radio,
        ` ${label} `,
        h("span", { class: "hint" }, hint),
      );
    }),
  );
  const form = h(
    "form",
    { class: "job-form", "aria-labelledby": "new-job-title" },
    typeSet,
    h("div", {}, h("label", { for: "job-images" }, "Images"), images, imagesHint),
    h(
      "fieldset",
      {},
      h("legend", {}, "Prune policy"),
      h("label", { for: "job-mode" }, "Mode"),
      mode,
      h("label", { for: "job-keep" }, "Keep (patterns, never removed)"),
      keep,
      h(
        "label",
        { class: "check" },
        allowUnrecoverable,
        " Also remove images no registry can give back (the only copy: never pushed, deleted from the registry, registry unresolved)",
      ),
    ),
    h("fieldset", {}, h("legend", {}, "Nodes"), h("p", { class: "hint" }, "None ticked: every node."), nodeBoxes),
    h("label", { class: "check" }, dryRun, " Dry run: show what would happen, change nothing"),
    h("div", { class: "actions" }, submit),
    error,
  );
  form.addEventListener("submit", (event) => void start(event));
  form.addEventListener("input", (event) => {
    if (event.target !== images && event.target !== keep) syncForm();
  });

  return {
    title: "Jobs",
    apply,
    mount(body) {
      body.append(
        token.section,
        h("section", { "aria-labelledby": "new-job-title" }, h("h3", { id: "new-job-title" }, "New job"), form),
        h(
          "section",
          { "aria-labelledby": "job-progress-title" },
          h("h3", { id: "job-progress-title" }, "Progress"),
          progress,
        ),
        h("section", { "aria-labelledby": "recent-title" }, h("h3", { id: "recent-title" }, "Recent jobs"), recent),
      );
      drawNodes();
      apply(initial ?? { type: "prune", dryRun: true });
      drawJob();
      void drawRecent(true);
    },
    update() {
      drawNodes();
      drawJob();
      void drawRecent();
    },
  };
}
