/**
 * Terminal colours, on only when a person is looking: stdout is a TTY and
 * NO_COLOR (https://no-color.org) is unset or empty. Five SGR codes are all
 * the CLI needs, so no colour library.
 */

export interface Style {
  readonly enabled: boolean;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/** Whether to colour output written to `stdout`. */
export function colorWanted(stdout: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  return stdout.isTTY === true && (env.NO_COLOR ?? "") === "";
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function createStyle(enabled: boolean): Style {
  if (!enabled) return { enabled, green: plain, red: plain, yellow: plain, dim: plain, bold: plain };
  return { enabled, green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point.
const ANSI = /\u001b\[[0-9;]*m/g;

/** The number of terminal columns `text` takes: escape codes are invisible. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, "")].length;
}
