import { inspect } from "node:util";
import { ImagedriftError } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { loadRegistriesConfig, parseRegistriesConfig } from "./registries-config.js";
import { emptyRegistriesConfig, hostConfig } from "./registry-host.js";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** An in-memory file system with fs-style errors. */
function reader(files: Record<string, string>) {
  const reads: string[] = [];
  const readFile = async (path: string) => {
    reads.push(path);
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: "ENOENT" });
    return text;
  };
  return { readFile, reads };
}

async function problems(yaml: string, files: Record<string, string> = {}): Promise<string[]> {
  try {
    await parseRegistriesConfig(yaml, { readFile: reader(files).readFile, baseDir: "/cfg" });
  } catch (error) {
    expect(error).toBeInstanceOf(ImagedriftError);
    expect((error as ImagedriftError).code).toBe("invalid-config");
    return (error as Error).message
      .split("\n")
      .slice(1)
      .map((line) => line.trim());
  }
  throw new Error("expected the config to be rejected");
}

describe("parseRegistriesConfig", () => {
  it("reads every field of the contract, with files relative to the config's folder", async () => {
    const yaml = `
registries:
  - host: registry.example.com
    insecure: false
    mirror: https://mirror.example.com/
    ca: ca.pem
    requestsPerSecond: 2.5
    maxConcurrentRequests: 2
    auth:
      dockerConfigJson: /secrets/pull/.dockerconfigjson
  - host: plain.example.com:5000
    insecure: true
    auth:
      username: robot
      passwordFile: /secrets/robot
`;
    const files = {
      "/cfg/ca.pem": PEM,
      "/secrets/pull/.dockerconfigjson": JSON.stringify({ auths: { "registry.example.com": { auth: b64("u1:p:1") } } }),
      "/secrets/robot": "s3cret\n",
    };
    const config = await parseRegistriesConfig(yaml, { readFile: reader(files).readFile, baseDir: "/cfg" });
    const first = hostConfig(config, "registry.example.com");
    expect(first).toMatchObject({
      baseUrl: "https://mirror.example.com",
      mirror: true,
      insecure: false,
      ca: PEM,
      requestsPerSecond: 2.5,
      maxConcurrentRequests: 2,
      credentials: { kind: "basic", username: "u1" },
    });
    expect(first.credentials?.kind === "basic" && first.credentials.password.reveal()).toBe("p:1");
    const second = hostConfig(config, "plain.example.com:5000");
    expect(second).toMatchObject({ baseUrl: "http://plain.example.com:5000", insecure: true, requestsPerSecond: 10 });
    expect(second.credentials?.kind === "basic" && second.credentials.password.reveal()).toBe("s3cret");
  });

  it("defaults: loopback over plain HTTP, everything else HTTPS, docker.io via registry-1.docker.io", async () => {
    const config = emptyRegistriesConfig;
    expect(hostConfig(config, "127.0.0.1:5000")).toMatchObject({ baseUrl: "http://127.0.0.1:5000", insecure: true });
    expect(hostConfig(config, "localhost:5000").baseUrl).toBe("http://localhost:5000");
    expect(hostConfig(config, "[::1]:5000").baseUrl).toBe("http://[::1]:5000");
    expect(hostConfig(config, "ghcr.io")).toMatchObject({ baseUrl: "https://ghcr.io", insecure: false });
    expect(hostConfig(config, "docker.io")).toMatchObject({
      baseUrl: "https://registry-1.docker.io",
      requestsPerSecond: 10,
      maxConcurrentRequests: 4,
      credentials: undefined,
    });
  });

  it("a loopback registry with a ca, or insecure: false, is spoken to over HTTPS", async () => {
    const yaml =
      "registries:\n  - {host: '127.0.0.1:5000', ca: /ca.pem}\n  - {host: 'localhost:6000', insecure: false}\n";
    const config = await parseRegistriesConfig(yaml, { readFile: reader({ "/ca.pem": PEM }).readFile });
    expect(hostConfig(config, "127.0.0.1:5000")).toMatchObject({ baseUrl: "https://127.0.0.1:5000", insecure: false });
    expect(hostConfig(config, "localhost:6000").baseUrl).toBe("https://localhost:6000");
  });

  it("matches docker.io with the https://index.docker.io/v1/ key, and reads every credential form", async () => {
    const dockerConfig = JSON.stringify({
      auths: {
        "https://index.docker.io/v1/": { auth: b64("hubuser:hubpass") },
        "https://quay.io": { username: "q", password: "qp" },
        "gcr.example.com": { auth: b64("<token>:"), identitytoken: "refresh-me" },
      },
    });
    const yaml = ["docker.io", "index.docker.io", "quay.io", "gcr.example.com"]
      .map((host, i) => `  - {host: ${host}, auth: {dockerConfigJson: /d${i}}}`)
      .join("\n");
    const files = { "/d0": dockerConfig, "/d1": dockerConfig, "/d2": dockerConfig, "/d3": dockerConfig };
    const text = `registries:\n${yaml.replace("index.docker.io", "other.example.com")}`;
    const config = await parseRegistriesConfig(text, {
      readFile: reader({ ...files, "/d1": JSON.stringify({ "other.example.com": { auth: b64("legacy:pw") } }) })
        .readFile,
    });
    expect(hostConfig(config, "docker.io").credentials).toMatchObject({ kind: "basic", username: "hubuser" });
    expect(hostConfig(config, "other.example.com").credentials).toMatchObject({ kind: "basic", username: "legacy" });
    expect(hostConfig(config, "quay.io").credentials).toMatchObject({ kind: "basic", username: "q" });
    const gcr = hostConfig(config, "gcr.example.com").credentials;
    expect(gcr?.kind === "identity-token" && gcr.token.reveal()).toBe("refresh-me");
  });

  it("writes index.docker.io as docker.io", async () => {
    const config = await parseRegistriesConfig("registries: [{host: index.docker.io, requestsPerSecond: 1}]", {
      readFile: reader({}).readFile,
    });
    expect(hostConfig(config, "docker.io").requestsPerSecond).toBe(1);
  });

  it("accepts an empty file and an empty list", async () => {
    for (const text of ["", "registries: []", "registries:\n"]) {
      const config = await parseRegistriesConfig(text, { readFile: reader({}).readFile });
      expect(config.hosts.size).toBe(0);
    }
  });

  it("lists every problem, each under its path", async () => {
    const yaml = `
registries:
  - host: registry.example.com
    requestsPerSecond: 0
    insecure: "yes"
    mirrors: https://typo.example.com
  - host: ok.example.com
    auth: {username: robot, passwordFile: /missing}
  - host: nodots
    mirror: ftp://mirror.example.com
  - host: registry.example.com
  - host: ca.example.com
    ca: /not-pem
    auth: {dockerConfigJson: /dc.json, username: x, passwordFile: /y}
  - host: dc.example.com
    auth: {dockerConfigJson: /dc.json}
  - host: half.example.com
    auth: {passwordFile: /y}
  - {insecure: true}
`;
    const files = {
      "/not-pem": "hello",
      "/dc.json": JSON.stringify({ auths: { "a.example.com": { auth: b64("a:b") } } }),
    };
    const lines = await problems(yaml, files);
    expect(lines).toEqual([
      "registries[0].insecure: Invalid input: expected boolean, received string",
      "registries[0].requestsPerSecond: Too small: expected number to be >0",
      "registries[0].mirrors: unknown field",
      "registries[1].auth.passwordFile: file not found (/missing)",
      expect.stringMatching(/^registries\[2\]\.host: "nodots" is not a registry host/),
      "registries[2].mirror: must be an http:// or https:// URL",
      "registries[3].host: registry.example.com is already configured in registries[0]",
      "registries[4].auth: either dockerConfigJson or username + passwordFile, not both",
      "registries[4].ca: not a PEM certificate file (no BEGIN CERTIFICATE block)",
      "registries[5].auth.dockerConfigJson: no credentials for dc.example.com (the file has: a.example.com)",
      "registries[6].auth.username: required with passwordFile",
      "registries[7].host: required: the registry host as image references write it",
    ]);
  });

  it("names the dockerconfigjson problems without echoing the secret", async () => {
    const files = {
      "/bad.json": "{not json",
      "/helper.json": JSON.stringify({ auths: { "h.example.com": {} }, credsStore: "desktop" }),
      "/b64.json": JSON.stringify({ auths: { "b.example.com": { auth: "!!canary-secret!!" } } }),
    };
    const yaml = `registries:
  - {host: a.example.com, auth: {dockerConfigJson: /bad.json}}
  - {host: h.example.com, auth: {dockerConfigJson: /helper.json}}
  - {host: b.example.com, auth: {dockerConfigJson: /b64.json}}
  - {host: e.example.com, auth: {username: u, passwordFile: /empty}}
`;
    const lines = await problems(yaml, { ...files, "/empty": "" });
    expect(lines).toEqual([
      "registries[0].auth.dockerConfigJson: not valid JSON (want a docker config.json or a .dockerconfigjson secret)",
      'registries[1].auth.dockerConfigJson: auths["h.example.com"] has no username and password (credential helpers, credsStore and credHelpers, are not supported)',
      'registries[2].auth.dockerConfigJson: auths["b.example.com"].auth is not base64 of "username:password"',
      "registries[3].auth.passwordFile: the file is empty",
    ]);
    expect(lines.join("\n")).not.toContain("canary");
  });

  it("reports YAML syntax errors with their line, and a top level that is not the schema", async () => {
    expect((await problems("registries:\n  - host: a\n   bad: ["))[0]).toBe(
      "(file): line 3, column 1: Sequence item without - indicator",
    );
    expect(await problems("registries: {host: a.example.com}")).toEqual([
      expect.stringMatching(/^registries: .*expected array/),
    ]);
    expect(await problems("regsitries: []")).toEqual(["regsitries: unknown field"]);
  });

  it("keeps passwords out of JSON, inspect and string forms of the config", async () => {
    const yaml = "registries: [{host: r.example.com, auth: {username: u, passwordFile: /pw}}]";
    const config = await parseRegistriesConfig(yaml, { readFile: reader({ "/pw": "canary-pw-123" }).readFile });
    const host = hostConfig(config, "r.example.com");
    expect(JSON.stringify(host)).not.toContain("canary");
    expect(inspect(host, { depth: 10 })).not.toContain("canary");
    expect(`${host.credentials?.kind === "basic" ? host.credentials.password : ""}`).toBe("[redacted]");
  });
});

describe("loadRegistriesConfig", () => {
  it("resolves relative paths against the file's folder and names the file in errors", async () => {
    const { readFile, reads } = reader({
      "/etc/imagedrift/registries.yaml": "registries: [{host: r.example.com, ca: certs/ca.pem}]",
    });
    await expect(loadRegistriesConfig("/etc/imagedrift/registries.yaml", readFile)).rejects.toThrow(
      "invalid registries config /etc/imagedrift/registries.yaml:\n  registries[0].ca: file not found (/etc/imagedrift/certs/ca.pem)",
    );
    expect(reads).toEqual(["/etc/imagedrift/registries.yaml", "/etc/imagedrift/certs/ca.pem"]);
    await expect(loadRegistriesConfig("/nope.yaml", readFile)).rejects.toThrow(
      "registries config /nope.yaml: file not found",
    );
  });
});
