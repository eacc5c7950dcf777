import { h } from "./dom.js";

/** Copies text: the Clipboard API where the page is a secure context (localhost, HTTPS), else a selection. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h("textarea", { readonly: true, class: "offscreen" });
    area.value = text;
    document.body.append(area);
    area.select();
    // The older API is the only one left on plain-HTTP origins (a collector reached by IP).
    const copied = document.execCommand("copy");
    area.remove();
    return copied;
  }
}

/** A remedy or digest as code, with a copy button; `key` keeps focus on the button across redraws. */
export function copyable(text: string, label: string, key: string, announce: (message: string) => void): HTMLElement {
  const button = h("button", { type: "button", class: "copy", "aria-label": `Copy ${label}`, "data-key": key }, "Copy");
  button.addEventListener("click", async () => {
    const copied = await copyText(text);
    button.textContent = copied ? "Copied ✓" : "Copy failed";
    announce(copied ? `Copied ${label}` : `Could not copy ${label}: select the text instead`);
    setTimeout(() => {
      button.textContent = "Copy";
    }, 2000);
  });
  return h("div", { class: "copyable" }, h("code", {}, text), button);
}
