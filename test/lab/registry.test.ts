/**
 * The registry's auth options against the real docker-registry: Basic auth
 * with the lab's bcrypt htpasswd (push, HEAD, and a CRI pull through
 * containerd's registry auth config), and token auth passed through.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { CriClient } from "@imagedrift/cri";
import { afterAll, describe, expect, it } from "vitest";
import { type Lab, startLab } from "./lab.js";
import { startRegistry } from "./registry.js";
import { registryRequest } from "./registry-api.js";

describe("registry with htpasswd auth", () => {
  let lab: Lab | undefined;

  afterAll(async () => {
    await lab?.stop();
  });

  it("pushes with credentials, refuses anonymous requests, and nodes pull with the configured auth", async () => {
    lab = await startLab({
      nodes: 1,
      registryAuth: { type: "htpasswd", users: [{ username: "lab", password: "s3cret pass" }] },
    });
    const anonymous = await registryRequest({ method: "GET", url: lab.registry.url, path: "/v2/" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["www-authenticate"]).toMatch(/^Basic realm=/);

    const digest = await lab.buildAndPush("private/app:1", { runnable: true, salt: "private" });
    expect(await lab.registry.digestOf("private/app", "1")).toBe(digest);
    await expect(lab.registry.digestOf("private/app", "1", "Basic bGFiOndyb25n")).rejects.toMatchObject({
      code: "unauthenticated",
    });

    const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
    try {
      const id = await cri.pullImage(lab.ref("private/app:1"));
      const image = (await cri.listImages()).find((i) => i.id === id);
      expect(image?.repoDigests).toContain(`${lab.registry.host}/private/app@${digest}`);
    } finally {
      cri.close();
    }
  }, 60_000);
});

describe("registry with token auth", () => {
  it("passes realm, service, issuer and root cert bundle through", async () => {
    const dir = await mkdtemp("/tmp/idl-");
    const cert = join(dir, "token.crt");
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"],
        ...["-subj", "/CN=lab-token", "-keyout", join(dir, "token.key"), "-out", cert],
      ],
      { stdio: "ignore" },
    );
    const registry = await startRegistry({
      dir: join(dir, "registry"),
      auth: {
        type: "token",
        realm: "http://127.0.0.1:1/token",
        service: "lab-registry",
        issuer: "lab-issuer",
        rootCertBundle: cert,
      },
    });
    try {
      const res = await registryRequest({ method: "GET", url: registry.url, path: "/v2/" });
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toBe('Bearer realm="http://127.0.0.1:1/token",service="lab-registry"');
    } finally {
      await registry.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
