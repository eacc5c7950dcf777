import type { AppContext } from "./app-context.js";
import { h } from "./dom.js";
import type { TokenStore } from "./token.js";

/**
 * The Jobs panel's token form: the token lives in sessionStorage for this tab
 * only; the form says whether one is set, and lets the user set or forget it.
 */
export function tokenSection(
  deps: { app: AppContext; token: TokenStore },
  onSaved: () => void,
): { section: HTMLElement; input: HTMLInputElement } {
  const input = h("input", { type: "password", id: "job-token", autocomplete: "off", spellcheck: "false" });
  const state = h("p", { class: "hint", id: "token-hint" });
  const showState = () => {
    state.textContent = deps.token.get()
      ? "A token is set for this tab (kept in sessionStorage, sent only to this collector)."
      : "No token set: a collector started with --token-file refuses jobs without one.";
  };
  showState();
  const forget = h("button", { type: "button" }, "Forget");
  forget.addEventListener("click", () => {
    deps.token.clear();
    input.value = "";
    showState();
    deps.app.announce("Token forgotten");
  });
  const form = h(
    "form",
    { class: "token-form", "aria-describedby": "token-hint" },
    h("label", { for: "job-token" }, "Collector token"),
    input,
    h("button", { type: "submit" }, "Use token"),
    forget,
    state,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!input.value.trim()) return;
    deps.token.set(input.value);
    input.value = "";
    showState();
    deps.app.announce("Token set for this tab");
    onSaved();
  });
  return {
    section: h("section", { "aria-labelledby": "token-title" }, h("h3", { id: "token-title" }, "Token"), form),
    input,
  };
}
