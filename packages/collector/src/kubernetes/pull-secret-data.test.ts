import { describe, expect, it } from "vitest";
import { pullSecretEntries } from "./pull-secret-data.js";

const CANARY = "canary-pw-5e1f0a";
const b64 = (text: string) => Buffer.from(text).toString("base64");
const dockerConfigJson = (auths: unknown) => ({
  type: "kubernetes.io/dockerconfigjson",
  data: { ".dockerconfigjson": b64(JSON.stringify({ auths })) },
  resourceVersion: "7",
});

describe("pullSecretEntries", () => {
  it("reads a dockerconfigjson Secret's auths as keyring entries", () => {
    const secret = dockerConfigJson({
      "https://registry.example.com/v1/": { auth: b64(`robot:${CANARY}`) },
      "*.example.com/team": { username: "u2", password: "p2" },
    });
    const parsed = pullSecretEntries(secret, "shop/regcred");
    expect("entries" in parsed && parsed.problems).toEqual([]);
    const entries = "entries" in parsed ? parsed.entries : [];
    expect(entries.map((e) => [e.key, e.credentials.username])).toEqual([
      ["registry.example.com", "robot"],
      ["*.example.com/team", "u2"],
    ]);
    const first = entries[0]?.credentials;
    expect(first?.kind === "basic" && first.password.reveal()).toBe(CANARY);
    expect(JSON.stringify(entries)).not.toContain(CANARY);
  });

  it("reads the legacy dockercfg type", () => {
    const secret = {
      type: "kubernetes.io/dockercfg",
      data: { ".dockercfg": b64(JSON.stringify({ "registry.example.com": { auth: b64("robot:pw") } })) },
      resourceVersion: "1",
    };
    const parsed = pullSecretEntries(secret, "shop/old");
    expect("entries" in parsed && parsed.entries.map((e) => e.key)).toEqual(["registry.example.com"]);
  });

  it.each([
    [
      "another type",
      { type: "Opaque", data: { ".dockerconfigjson": b64(CANARY) }, resourceVersion: "1" },
      'secret shop/s has type "Opaque", not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg',
    ],
    [
      "no data key",
      { type: "kubernetes.io/dockerconfigjson", data: { other: b64(CANARY) }, resourceVersion: "1" },
      "secret shop/s has no .dockerconfigjson in its data",
    ],
    [
      "not base64",
      { type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": `${CANARY}!` }, resourceVersion: "1" },
      "secret shop/s: .dockerconfigjson is not base64",
    ],
    [
      "not JSON",
      {
        type: "kubernetes.io/dockerconfigjson",
        data: { ".dockerconfigjson": b64(`{${CANARY}`) },
        resourceVersion: "1",
      },
      "secret shop/s: .dockerconfigjson: not valid JSON (want a docker config.json or a .dockerconfigjson secret)",
    ],
    [
      "no auths",
      { type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": b64("{}") }, resourceVersion: "1" },
      'secret shop/s: .dockerconfigjson: no "auths" object',
    ],
  ])("refuses a Secret with %s, naming it and never its content", (_, secret, problem) => {
    const parsed = pullSecretEntries(secret, "shop/s");
    expect(parsed).toEqual({ problem });
    expect(JSON.stringify(parsed)).not.toContain(CANARY);
  });

  it("keeps the usable entries and names the others", () => {
    const secret = dockerConfigJson({
      "registry.example.com": { auth: b64(`robot:${CANARY}`) },
      "helper.example.com": { auth: "" },
      "bad.example.com": { auth: `${CANARY}:not-base64!` },
    });
    const parsed = pullSecretEntries(secret, "shop/s");
    expect("entries" in parsed && parsed.entries.map((e) => e.key)).toEqual(["registry.example.com"]);
    expect("entries" in parsed && parsed.problems).toEqual([
      'secret shop/s: .dockerconfigjson: auths["helper.example.com"] has no username and password (credential helpers, credsStore and credHelpers, are not supported)',
      'secret shop/s: .dockerconfigjson: auths["bad.example.com"].auth is not base64 of "username:password"',
    ]);
    expect(JSON.stringify(parsed)).not.toContain(CANARY);
  });
});
