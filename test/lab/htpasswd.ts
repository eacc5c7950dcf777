/**
 * The htpasswd file for the registry's Basic auth. distribution's htpasswd
 * backend accepts bcrypt hashes only, and node:crypto has no bcrypt. The
 * `htpasswd` program (apache2-utils) is used when it is on PATH; otherwise
 * Perl's crypt(), which on Debian 12 is libxcrypt and knows bcrypt (`$2b$`).
 * Perl is part of every Debian install (perl-base), so no package is added.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { ImagedriftError } from "@imagedrift/core";
import { exec } from "./exec.js";

export interface Credentials {
  username: string;
  password: string;
}

/** bcrypt cost: the lowest that every implementation accepts, so that each registry request stays cheap. */
const COST = "05";

export async function writeHtpasswd(file: string, users: readonly Credentials[]): Promise<void> {
  const lines: string[] = [];
  for (const user of users) {
    if (user.username.includes(":")) {
      throw new ImagedriftError("invalid-argument", `htpasswd user name may not hold ":": ${user.username}`);
    }
    lines.push(`${user.username}:${await bcryptHash(user.password)}`);
  }
  await writeFile(file, `${lines.join("\n")}\n`, { mode: 0o600 });
}

/** A bcrypt hash (`$2b$05$…` or `$2y$05$…`) of `password`. */
export async function bcryptHash(password: string): Promise<string> {
  const fromHtpasswd = await tryHtpasswd(password);
  const hash = fromHtpasswd ?? (await perlCrypt(password, `$2b$${COST}$${bcryptSalt()}`));
  if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
    throw new ImagedriftError(
      "unimplemented",
      `no bcrypt on this machine (got "${hash.slice(0, 12)}…"); install apache2-utils`,
    );
  }
  return hash;
}

async function tryHtpasswd(password: string): Promise<string | undefined> {
  try {
    const { stdout } = await exec("htpasswd", ["-nbB", "-C", String(Number(COST)), "u", password]);
    return stdout.trim().slice("u:".length);
  } catch {
    return undefined;
  }
}

async function perlCrypt(password: string, setting: string): Promise<string> {
  const { stdout } = await exec("perl", ["-e", "chomp(my $p = <STDIN>); print crypt($p, $ARGV[0]) // ''", setting], {
    input: `${password}\n`,
  });
  return stdout.trim();
}

/** 16 random bytes in bcrypt's base64 alphabet: 22 characters, the last one canonical. */
function bcryptSalt(): string {
  const standard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const bcrypt = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return [...randomBytes(16).toString("base64").slice(0, 22)].map((c) => bcrypt[standard.indexOf(c)] ?? ".").join("");
}
