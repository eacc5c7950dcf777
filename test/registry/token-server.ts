/**
 * A token server for docker-registry's `auth: token` (distribution 2.8), served
 * by the test on 127.0.0.1: it checks Basic credentials, grants the scopes
 * asked for, and signs RS256 JWTs with a key whose self-signed certificate is
 * both the registry's `rootcertbundle` and the token's `x5c` header
 * (distribution verifies the x5c chain against its root bundle, so no libtrust
 * key id is needed). The key and certificate come from the `openssl` CLI.
 */
import { randomUUID, sign, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { exec } from "../lab/exec.js";
import type { Credentials } from "../lab/htpasswd.js";
import type { TokenAuth } from "../lab/registry.js";

export interface TokenServer {
  /** `http://127.0.0.1:PORT/token`: the registry's realm. */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM file of the signing certificate: the registry's `rootcertbundle`. */
  readonly certFile: string;
  /** Requests received, with the user they authenticated as (`""` for anonymous, null for refused). */
  readonly requests: {
    scopes: string[];
    user: string | null;
    authorization: string | undefined;
    /** The OAuth2 POST's grant_type; null for a GET. */
    grant: string | null;
  }[];
  /** `Bearer <token>` for `scope` (e.g. `repository:demo/app:pull`), for the test's own calls. */
  bearer(scope: string): string;
  /** docker-registry's `auth: token` trusting this server; `realm` sends clients elsewhere first (ACR's front). */
  registryAuth(realm?: string): TokenAuth;
  close(): Promise<void>;
}

export interface TokenServerOptions {
  /** Folder for the key and certificate. */
  dir: string;
  /** Read on every request: a test may change whom it accepts (a rotated or revoked credential). */
  users: readonly Credentials[];
  /**
   * Refresh tokens (docker identity tokens, e.g. ACR's from `/oauth2/exchange`) it accepts, read on every
   * request: by the OAuth2 POST (`grant_type=refresh_token`, as the collector and containerd send one) or as
   * the password of Basic credentials (as ACR takes its refresh token from `docker login`).
   */
  refreshTokens?: readonly string[];
  /** Whether requests without credentials get tokens. */
  anonymous?: boolean;
  /** `expires_in` of the tokens, seconds. */
  expiresIn?: number;
}

const SERVICE = "imagedrift-lab-registry";
const ISSUER = "imagedrift-lab-token-server";

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const keyFile = join(options.dir, "token.key");
  const certFile = join(options.dir, "token.crt");
  await exec("openssl", [
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=imagedrift-lab-token"],
    ...["-keyout", keyFile, "-out", certFile],
  ]);
  const key = await readFile(keyFile, "utf8");
  const x5c = new X509Certificate(await readFile(certFile)).raw.toString("base64");
  const expiresIn = options.expiresIn ?? 300;

  const mint = (subject: string, scopes: readonly string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.map((scope) => {
      const [type = "", name = "", actions = ""] = splitScope(scope);
      return { type, name, actions: actions.split(",").filter(Boolean) };
    });
    const header = { typ: "JWT", alg: "RS256", x5c: [x5c] };
    const claims = {
      iss: ISSUER,
      sub: subject,
      aud: SERVICE,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${signingInput}.${b64url(sign("sha256", Buffer.from(signingInput), key))}`;
  };

  const requests: TokenServer["requests"] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://token");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = req.method === "POST" ? new URLSearchParams(Buffer.concat(chunks).toString("utf8")) : undefined;
    const scopes = (form ?? url.searchParams)
      .getAll("scope")
      .flatMap((s) => s.split(" "))
      .filter(Boolean);
    const user = form ? authenticateForm(form, options) : authenticate(req.headers.authorization, options);
    requests.push({ scopes, user, authorization: req.headers.authorization, grant: form?.get("grant_type") ?? null });
    if (url.pathname !== "/token" || user === null) {
      res
        .writeHead(401, { "content-type": "application/json" })
        .end(JSON.stringify({ details: "incorrect username or password" }));
      return;
    }
    const token = mint(user, scopes);
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const realm = `http://127.0.0.1:${port}/token`;
  return {
    realm,
    service: SERVICE,
    issuer: ISSUER,
    certFile,
    requests,
    bearer: (scope) => `Bearer ${mint("lab", [scope])}`,
    registryAuth: (front = realm) => ({
      type: "token",
      realm: front,
      service: SERVICE,
      issuer: ISSUER,
      rootCertBundle: certFile,
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The user the request authenticates as: `""` when anonymous and allowed, null when refused. */
function authenticate(header: string | undefined, options: TokenServerOptions): string | null {
  if (header === undefined) return options.anonymous ? "" : null;
  if (!header.startsWith("Basic ")) return null;
  const decoded = Buffer.from(header.slice("Basic ".length), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  const user = options.users.find((u) => u.username === username && u.password === password);
  if (user) return user.username;
  return options.refreshTokens?.includes(password) ? REFRESH_TOKEN_USER : null;
}

/** The subject of tokens granted for a refresh token. */
export const REFRESH_TOKEN_USER = "<refresh token>";

/** An OAuth2 POST: `grant_type=refresh_token` with an accepted refresh token, or `password` with a user's. */
function authenticateForm(form: URLSearchParams, options: TokenServerOptions): string | null {
  const grant = form.get("grant_type");
  if (grant === "refresh_token") {
    return options.refreshTokens?.includes(form.get("refresh_token") ?? "") ? REFRESH_TOKEN_USER : null;
  }
  if (grant === "password") {
    const user = options.users.find((u) => u.username === form.get("username") && u.password === form.get("password"));
    return user ? user.username : null;
  }
  return null;
}

/** `repository:demo/app:pull,push` → type, name, actions (names may hold ':' for a port). */
function splitScope(scope: string): [string, string, string] {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  return [scope.slice(0, first), scope.slice(first + 1, last), scope.slice(last + 1)];
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}
