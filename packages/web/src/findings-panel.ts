/** The findings list (GET /api/v1/findings): severity, what, since when, and the remedy to copy. */
import type { FindingItem } from "./api-types.js";
import { copyable } from "./copy.js";
import { h, rerender } from "./dom.js";
import { formatAge, formatTime, splitReference } from "./format.js";
import { badge, SEVERITY_BADGES } from "./palette.js";

export interface FindingsHandlers {
  /** Opens the tag (or, for agent-missing, the node) the finding is about; absent, the subject is plain text. */
  open?(finding: FindingItem, opener: HTMLElement): void;
  announce(message: string): void;
}

export function severityBadge(severity: FindingItem["severity"]): HTMLElement {
  return badge(SEVERITY_BADGES[severity], severity);
}

export function findingItem(finding: FindingItem, handlers: FindingsHandlers, keyPrefix: string): HTMLElement {
  const subject = finding.kind === "agent-missing" ? finding.reference : splitReference(finding.reference).name;
  const openTarget = handlers.open;
  const open = openTarget
    ? h(
        "button",
        { type: "button", class: "link", "data-key": `${keyPrefix}open:${finding.id}`, title: finding.reference },
        subject,
      )
    : h("span", { title: finding.reference }, subject);
  if (openTarget) open.addEventListener("click", () => openTarget(finding, open));
  return h(
    "li",
    { class: `finding sev-${finding.severity}`, "data-kind": finding.kind },
    h("div", { class: "finding-head" }, severityBadge(finding.severity), h("strong", {}, finding.kind), " ", open),
    h("p", { class: "message" }, finding.message),
    h(
      "p",
      { class: "since" },
      `nodes: ${finding.nodes.join(", ") || "—"} · since ${formatTime(finding.firstSeenAt)} (${formatAge(finding.firstSeenAt)})`,
    ),
    copyable(
      finding.remedy,
      `the remedy for ${finding.kind} ${subject}`,
      `${keyPrefix}copy:${finding.id}`,
      handlers.announce,
    ),
  );
}

export class FindingsPanel {
  private raw = "";

  constructor(
    private readonly list: HTMLElement,
    private readonly heading: HTMLElement,
    private readonly handlers: FindingsHandlers,
  ) {}

  update(findings: readonly FindingItem[], raw: string): void {
    if (raw === this.raw) return;
    this.raw = raw;
    const counts = ["critical", "warning", "info"]
      .map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s}`);
    this.heading.textContent = `Findings (${findings.length})`;
    this.heading.title = counts.join(", ");
    rerender(
      this.list,
      findings.length === 0
        ? [h("p", { class: "none" }, "None: every node holds what the registry says.")]
        : [
            h(
              "ul",
              { class: "finding-list" },
              findings.map((f) => findingItem(f, this.handlers, "")),
            ),
          ],
    );
  }
}
