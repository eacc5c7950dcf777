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

/** What a registry's configured `auth` yields. */
export type RegistryCredentials =
  | { kind: "basic"; username: string; password: Secret }
  /** docker's `identitytoken`: an OAuth2 refresh token, exchanged at the token server (POST grant_type=refresh_token). */
  | { kind: "identity-token"; username: string; token: Secret };

/** `Basic base64(user:password)` for an Authorization header. */
export function basicAuthorization(username: string, password: Secret): string {
  return `Basic ${Buffer.from(`${username}:${password.reveal()}`, "utf8").toString("base64")}`;
}
