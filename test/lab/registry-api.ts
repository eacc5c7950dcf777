/**
 * The few registry (OCI distribution) calls the lab needs, over node:http:
 * `GET /v2/`, the digest a tag resolves to, and deleting a tag's manifest.
 */
import { request } from "node:http";
import { ImagedriftError } from "@imagedrift/core";

/** What a `HEAD …/manifests/<tag>` accepts: OCI index and manifest, Docker manifest list and v2 manifest. */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

export interface RegistryRequest {
  method: "GET" | "HEAD" | "DELETE";
  /** Base URL, `http://127.0.0.1:PORT`. */
  url: string;
  path: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function registryRequest(req: RegistryRequest): Promise<RegistryResponse> {
  return new Promise((resolve, reject) => {
    const call = request(
      new URL(req.path, req.url),
      { method: req.method, headers: req.headers, timeout: req.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    call.on("timeout", () => call.destroy(new Error(`${req.method} ${req.url}${req.path} timed out`)));
    call.on("error", reject);
    call.end();
  });
}

export interface RegistryAccess {
  url: string;
  /** An `Authorization` header value, when the registry wants one. */
  authorization?: string | undefined;
}

/** The `Docker-Content-Digest` of `repo:tag` (the index digest for a multi-arch image). */
export async function headDigest(access: RegistryAccess, repo: string, tag: string): Promise<string> {
  const res = await registryRequest({
    method: "HEAD",
    url: access.url,
    path: `/v2/${repo}/manifests/${tag}`,
    headers: withAuth(access, { Accept: MANIFEST_ACCEPT }),
  });
  if (res.status === 404)
    throw new ImagedriftError("not-found", `${repo}:${tag} is not in the registry at ${access.url}`);
  const digest = res.headers["docker-content-digest"];
  if (res.status !== 200 || typeof digest !== "string") {
    throw new ImagedriftError(statusCode(res.status), `HEAD ${repo}:${tag} at ${access.url} answered ${res.status}`);
  }
  return digest;
}

/**
 * Deletes the manifest `repo:tag` points at and returns its digest. The
 * registry deletes by digest, so every tag on that digest goes with it.
 */
export async function deleteManifest(access: RegistryAccess, repo: string, tag: string): Promise<string> {
  const digest = await headDigest(access, repo, tag);
  const res = await registryRequest({
    method: "DELETE",
    url: access.url,
    path: `/v2/${repo}/manifests/${digest}`,
    headers: withAuth(access, {}),
  });
  if (res.status !== 202) {
    throw new ImagedriftError(
      statusCode(res.status),
      `DELETE ${repo}@${digest} at ${access.url} answered ${res.status}: ${res.body.trim()}`,
    );
  }
  return digest;
}

function withAuth(access: RegistryAccess, headers: Record<string, string>): Record<string, string> {
  return access.authorization ? { ...headers, Authorization: access.authorization } : headers;
}

function statusCode(status: number): "unauthenticated" | "permission-denied" | "not-found" | "unavailable" {
  if (status === 401) return "unauthenticated";
  if (status === 403) return "permission-denied";
  if (status === 404) return "not-found";
  return "unavailable";
}
