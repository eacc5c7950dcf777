import { describe, expect, it } from "vitest";
import { keyMatches, keyringKey, lookupKeyring } from "./credential-keyring.js";
import { Secret } from "./secret.js";

describe("keyringKey", () => {
  it.each([
    ["https://registry.example.com/v1/", "registry.example.com"],
    ["http://Registry.Example.com:5000", "registry.example.com:5000"],
    ["registry.example.com/v2/team", "registry.example.com/team"],
    ["registry.example.com/team/app", "registry.example.com/team/app"],
    ["https://index.docker.io/v1/", "docker.io"],
    ["*.example.com", "*.example.com"],
    ["127.0.0.1:5000/", "127.0.0.1:5000"],
  ])("%s → %s", (raw, key) => {
    expect(keyringKey(raw)).toBe(key);
  });
});

describe("keyMatches (kubelet's URLsMatch)", () => {
  it.each([
    ["registry.example.com", "registry.example.com/team/app", true],
    ["registry.example.com/team", "registry.example.com/team/app", true],
    ["registry.example.com/team", "registry.example.com/other/app", false],
    // A text prefix, as kubelet's strings.HasPrefix.
    ["registry.example.com/team", "registry.example.com/team-b/app", true],
    ["*.example.com", "registry.example.com/app", true],
    ["*.example.com", "a.b.example.com/app", false],
    ["*.example.com", "example.com/app", false],
    ["registry.*.com", "registry.example.com/app", true],
    ["registry.example.com", "registry.example.com:5000/app", false],
    ["registry.example.com:5000", "registry.example.com:5000/app", true],
    ["registry.example.com:5000", "registry.example.com:5001/app", false],
    ["127.0.0.1:5000", "127.0.0.1:5000/private/app", true],
    ["docker.io", "docker.io/library/nginx", true],
    ["other.example.com", "registry.example.com/app", false],
  ])("%s covers %s: %s", (key, image, want) => {
    expect(keyMatches(key, image)).toBe(want);
  });
});

describe("lookupKeyring", () => {
  const entry = (key: string, username: string) => ({
    key,
    credentials: { kind: "basic" as const, username, password: new Secret("pw") },
  });

  it("gives the matching entries most specific first, equal keys in their order", () => {
    const entries = [
      entry("registry.example.com", "host"),
      entry("*.example.com", "wildcard"),
      entry("registry.example.com/team", "team"),
      entry("registry.example.com/team/app", "app"),
      entry("registry.example.com", "host-2"),
      entry("other.example.com", "other"),
    ];
    const found = lookupKeyring(entries, "registry.example.com/team/app").map((e) => e.credentials.username);
    expect(found).toEqual(["app", "team", "host", "host-2", "wildcard"]);
  });

  it("finds nothing for another host", () => {
    expect(lookupKeyring([entry("registry.example.com", "host")], "127.0.0.1:5000/app")).toEqual([]);
  });
});
