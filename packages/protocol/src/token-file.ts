import { readFileSync } from "node:fs";
import { ImagedriftError } from "@imagedrift/core";

/**
 * The token in the Secret that deploy/ ships (deploy/base/token-secret.yaml). Everyone who reads the
 * repository knows it, so a token file holding it authenticates no one: the programs refuse to start.
 */
export const PLACEHOLDER_TOKEN = "replace-me-with-the-output-of-openssl-rand-hex-32";

/** The shipped placeholder, and any other that says to replace it (`replace-me`, `REPLACE_ME…`). */
const isPlaceholder = (token: string) => token === PLACEHOLDER_TOKEN || /^replace[-_ ]?me/i.test(token);

/**
 * Reads a shared token from a file (`--token-file`, or the flag named); an unreadable or empty file, or
 * a placeholder, is a config error naming the file and the flag, never the token.
 */
export function readTokenFile(path: string, flag = "--token-file"): string {
  let token: string;
  try {
    token = readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new ImagedriftError(
      "invalid-config",
      `${flag}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
  if (!token) throw new ImagedriftError("invalid-config", `${flag}: ${path} is empty`);
  if (isPlaceholder(token)) {
    throw new ImagedriftError(
      "invalid-config",
      `${flag}: ${path} holds a placeholder, not a token. Make one with \`openssl rand -hex 32\` and put it ` +
        "in the Secret imagedrift-token (key token), e.g. from a kustomize secretGenerator (deploy/README.md, Install)",
    );
  }
  return token;
}
