/**
 * Credentials in memory. A `Secret` prints as `[redacted]` through every path
 * that turns a value into text (String, JSON.stringify, util.inspect, template
 * literals), so a config object logged or put in an error by mistake leaks
 * nothing; `reveal()` is the one way to the value, used where a header is built.
 */
import { inspect } from "node:util";

const REDACTED = "[redacted]";

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** Credentials as sent: a username and password, or a refresh token. */
export type StaticCredentials =
  | { kind: "basic"; username: string; password: Secret }
  /** docker's `identitytoken`: an OAuth2 refresh token, exchanged at the token server (POST grant_type=refresh_token). */
  | { kind: "identity-token"; username: string; token: Secret };

export type CloudProvider = "aws" | "gcp" | "azure";

/**
 * Credentials a cloud identity gives for a while (an ECR token, a Google
 * access token, an ACR refresh token): `current()` answers from its cache
 * until shortly before they expire, then exchanges again; `invalidate()` drops
 * them after a registry refused them.
 */
export interface CloudCredentials {
  readonly kind: "cloud";
  readonly provider: CloudProvider;
  current(): Promise<StaticCredentials>;
  invalidate(): void;
}

/** What a registry's configured `auth` (or its cloud identity) yields. */
export type RegistryCredentials = StaticCredentials | CloudCredentials;

/** The credentials to send now: static ones as they are, a cloud identity's from its cache or a new exchange. */
export async function currentCredentials(
  credentials: RegistryCredentials | undefined,
): Promise<StaticCredentials | undefined> {
  return credentials?.kind === "cloud" ? credentials.current() : credentials;
}

/** `Basic base64(user:password)` for an Authorization header. */
export function basicAuthorization(username: string, password: Secret): string {
  return `Basic ${Buffer.from(`${username}:${password.reveal()}`, "utf8").toString("base64")}`;
}
