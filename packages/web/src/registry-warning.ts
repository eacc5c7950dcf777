/**
 * A warning above the layout while registries refuse the collector's
 * credentials (GET /api/v1/registries): which registry, why, since when.
 * Their tags stay unresolved meanwhile; the warning says so, so that nobody
 * reads the missing verdicts as "all fine".
 */
export interface AuthProblem {
  registry: string;
  reason: "unauthenticated" | "denied" | "provider";
  error: string;
  since: string;
}

const REASONS: Record<AuthProblem["reason"], string> = {
  unauthenticated: "credentials not accepted (401)",
  denied: "access denied (403)",
  provider: "the collector's cloud identity could not get credentials",
};

/** Draws `problems` into `root` (hidden when there are none). */
export function drawRegistryWarning(root: HTMLElement, problems: readonly AuthProblem[]): void {
  root.hidden = problems.length === 0;
  root.replaceChildren();
  if (problems.length === 0) return;
  const title = document.createElement("strong");
  title.textContent = "Registry credentials failing: their tags stay unresolved.";
  const list = document.createElement("ul");
  for (const problem of problems) {
    const item = document.createElement("li");
    item.textContent = `${problem.registry}: ${REASONS[problem.reason]} since ${problem.since} (${problem.error})`;
    list.append(item);
  }
  root.append(title, list);
}

/** The element the warning lives in, made once before the page's layout. */
export function registryWarningElement(before: Element): HTMLElement {
  const root = document.createElement("div");
  root.id = "registry-warning";
  root.className = "registry-warning";
  root.setAttribute("role", "alert");
  root.hidden = true;
  before.before(root);
  return root;
}
