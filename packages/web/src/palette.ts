/**
 * Icons are plain text symbols that DejaVu and the common system fonts have
 * (no emoji: a machine without an emoji font shows empty boxes).
 *
 * Every colour of the page, in one place so that a test can prove each
 * text/background pair reaches WCAG AA (4.5:1). Digest groups are told apart
 * by background colour AND by a shape + letter marker, never by colour alone;
 * the backgrounds follow the Okabe–Ito hues (distinguishable with the common
 * colour-vision deficiencies), lightened so dark text stays readable.
 */
import type { TagStatus } from "./api-types.js";

export interface DigestGroupStyle {
  background: string;
  shape: string;
  /** A colour name for screen readers is noise; the letter is what is announced. */
  letter: string;
}

export const GROUP_STYLES: readonly DigestGroupStyle[] = [
  { background: "#cfe6fa", shape: "●", letter: "A" },
  { background: "#ffdcae", shape: "▲", letter: "B" },
  { background: "#c9efdf", shape: "■", letter: "C" },
  { background: "#f6cfe4", shape: "◆", letter: "D" },
  { background: "#fbf0a6", shape: "★", letter: "E" },
  { background: "#ddd5f5", shape: "⬟", letter: "F" },
  { background: "#e4e4e4", shape: "✚", letter: "G" },
  { background: "#f5d0c4", shape: "▼", letter: "H" },
];

/** More groups than styles in one row (rare): styles repeat, letters go on (I, J, …). */
export function groupStyle(index: number): DigestGroupStyle {
  const base = GROUP_STYLES[index % GROUP_STYLES.length] ?? { background: "#e4e4e4", shape: "●", letter: "?" };
  return { ...base, letter: index < 26 ? String.fromCharCode(65 + index) : `#${index + 1}` };
}

export const TEXT = {
  ink: "#161616",
  muted: "#4a4a4a",
  page: "#ffffff",
  panel: "#f4f5f7",
  accent: "#0b4f8a",
  /** The top bar: white text, and warnings in yellow. */
  brand: "#0b3d66",
  "on-brand": "#ffffff",
  "warn-on-brand": "#ffe08a",
  focus: "#1a5fb4",
};

/** Per-node status text inside a cell (on any group background). */
export const CELL_STATUS = { current: "#0b5a1e", stale: "#8a0000", unknown: "#3d3d3d" } as const;

export interface Badge {
  background: string;
  color: string;
  icon: string;
}

export const TAG_BADGES: Record<TagStatus, Badge> = {
  current: { background: "#dff2e1", color: "#0b5a1e", icon: "✓" },
  stale: { background: "#fde0de", color: "#8a0000", icon: "✗" },
  inconsistent: { background: "#fde0de", color: "#8a0000", icon: "≠" },
  "missing-in-registry": { background: "#fde0de", color: "#8a0000", icon: "⌀" },
  unresolved: { background: "#ececec", color: "#333333", icon: "?" },
  "local-only": { background: "#fff0c2", color: "#5c3f00", icon: "⌂" },
};

export const SEVERITY_BADGES: Record<"critical" | "warning" | "info", Badge> = {
  critical: { background: "#8a0000", color: "#ffffff", icon: "✖" },
  warning: { background: "#fff0c2", color: "#5c3f00", icon: "▲" },
  info: { background: "#dcebf7", color: "#0b3d66", icon: "ℹ" },
};

export const JOB_STATE_BADGES: Record<string, Badge> = {
  pending: { background: "#ececec", color: "#333333", icon: "…" },
  running: { background: "#dcebf7", color: "#0b3d66", icon: "↻" },
  succeeded: { background: "#dff2e1", color: "#0b5a1e", icon: "✓" },
  skipped: { background: "#ececec", color: "#333333", icon: "–" },
  partial: { background: "#fff0c2", color: "#5c3f00", icon: "◐" },
  failed: { background: "#fde0de", color: "#8a0000", icon: "✗" },
  cancelled: { background: "#ececec", color: "#333333", icon: "⊘" },
};

/** Every text-on-background pair the page draws, for the contrast test. */
export function contrastPairs(): { what: string; color: string; background: string }[] {
  const pairs: { what: string; color: string; background: string }[] = [];
  for (const bg of [TEXT.page, TEXT.panel]) {
    for (const [name, color] of Object.entries({ ink: TEXT.ink, muted: TEXT.muted, accent: TEXT.accent })) {
      pairs.push({ what: `${name} on ${bg}`, color, background: bg });
    }
  }
  pairs.push({ what: "top bar", color: TEXT["on-brand"], background: TEXT.brand });
  pairs.push({ what: "top bar warning", color: TEXT["warn-on-brand"], background: TEXT.brand });
  for (const [i, group] of GROUP_STYLES.entries()) {
    for (const [name, color] of Object.entries({ ink: TEXT.ink, ...CELL_STATUS })) {
      pairs.push({ what: `${name} on group ${i}`, color, background: group.background });
    }
  }
  const badges = { ...TAG_BADGES, ...SEVERITY_BADGES, ...JOB_STATE_BADGES };
  for (const [name, badge] of Object.entries(badges)) {
    pairs.push({ what: `badge ${name}`, color: badge.color, background: badge.background });
  }
  return pairs;
}

/** WCAG 2 contrast ratio of two `#rrggbb` colours. */
export function contrastRatio(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** A status word with its icon, coloured from the palette (CSSOM, allowed by the content-security policy). */
export function badge(style: Badge, text: string): HTMLElement {
  const el = document.createElement("span");
  el.className = "badge";
  el.textContent = `${style.icon} ${text}`;
  el.style.background = style.background;
  el.style.color = style.color;
  return el;
}

/** Publishes the palette as CSS custom properties (CSSOM, so the strict content-security policy allows it). */
export function installPalette(root: HTMLElement): void {
  const set = (name: string, value: string) => root.style.setProperty(name, value);
  for (const [name, value] of Object.entries(TEXT)) set(`--${name}`, value);
  for (const [name, value] of Object.entries(CELL_STATUS)) set(`--cell-${name}`, value);
  for (const [i, group] of GROUP_STYLES.entries()) set(`--g${i}`, group.background);
}
