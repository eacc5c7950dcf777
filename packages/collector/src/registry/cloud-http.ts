/**
 * The few HTTP exchanges of the cloud identities that have no SDK here
 * (Google's metadata server and STS, Entra ID, ACR's exchange): a JSON answer
 * or a `providerError` naming the step and the status, with the OAuth error
 * code when the server gives one. Bodies sent carry tokens: they never reach
 * a message.
 */

import { providerError } from "./cloud-credentials.js";
import type { CloudProvider } from "./secret.js";

export type Fetch = typeof fetch;

const TIMEOUT_MS = 10_000;

export interface JsonRequest {
  provider: CloudProvider;
  /** For messages: what this request is, e.g. "the GKE metadata server". */
  step: string;
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  /** A form body (application/x-www-form-urlencoded) or a JSON one. */
  form?: Record<string, string>;
  json?: unknown;
}

export async function requestJson(fetchFn: Fetch, request: JsonRequest): Promise<Record<string, unknown>> {
  const { provider, step } = request;
  const headers: Record<string, string> = { accept: "application/json", ...request.headers };
  let body: string | undefined;
  if (request.form !== undefined) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(request.form).toString();
  } else if (request.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(request.json);
  }
  let res: Response;
  try {
    res = await fetchFn(request.url, {
      method: request.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
      redirect: "error",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw providerError(provider, `cannot reach ${step} at ${new URL(request.url).origin}`, error);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  if (!res.ok) {
    const code = oauthError(record);
    throw providerError(provider, `${step} answered ${res.status}${code ? ` (${code})` : ""}`);
  }
  if (record === undefined) throw providerError(provider, `${step} answered something that is not a JSON object`);
  return record;
}

/** A non-empty string field of an answer, or a providerError naming it. */
export function stringField(
  body: Record<string, unknown>,
  field: string,
  where: { provider: CloudProvider; step: string },
): string {
  const value = body[field];
  if (typeof value !== "string" || value === "") throw providerError(where.provider, `${where.step} gave no ${field}`);
  return value;
}

/** `expires_in` (seconds) as an expiry time, `fallbackS` when absent. */
export function expiryFrom(body: Record<string, unknown>, now: number, fallbackS: number): number {
  const raw = body.expires_in;
  const seconds = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw) : Number.NaN;
  return now + (Number.isFinite(seconds) && seconds > 0 ? seconds : fallbackS) * 1000;
}

/** OAuth's `error` (and a short `error_description`), which say why without echoing what was sent. */
function oauthError(body: Record<string, unknown> | undefined): string | undefined {
  const error = body?.error;
  if (typeof error === "string") {
    const description = typeof body?.error_description === "string" ? body.error_description.split("\n")[0] : "";
    return description ? `${error}: ${description.slice(0, 200)}` : error;
  }
  if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message.slice(0, 200);
  }
  return undefined;
}
