import { describe, expect, it } from "vitest";
import { pushedDigests, tagsOfEvents } from "./event-tags.js";
import type { RegistryEvent } from "./registry-event-payloads.js";

const push = (host: string | null, repository: string, tag: string | null): RegistryEvent => ({
  action: "push",
  host,
  repository,
  tag,
  digest: null,
});

describe("tagsOfEvents", () => {
  const known = ["localhost:5000/team/app:latest", "reg.example/team/app:latest", "docker.io/library/nginx:1"];

  it("matches a pushed tag on its own host", () => {
    expect(tagsOfEvents([push("reg.example", "team/app", "latest")], known)).toEqual(["reg.example/team/app:latest"]);
  });

  it("matches the same repository and tag under any host when the registry names itself otherwise", () => {
    expect(tagsOfEvents([push("127.0.0.1:5000", "team/app", "latest")], known)).toEqual([
      "localhost:5000/team/app:latest",
      "reg.example/team/app:latest",
    ]);
    expect(tagsOfEvents([push(null, "team/app", "latest")], known)).toHaveLength(2);
  });

  it("normalises Docker Hub names", () => {
    expect(tagsOfEvents([push("docker.io", "nginx", "1")], known)).toEqual(["docker.io/library/nginx:1"]);
  });

  it("matches nothing for tags nobody holds, digest-only events and pulls", () => {
    expect(tagsOfEvents([push("reg.example", "team/app", "2")], known)).toEqual([]);
    expect(tagsOfEvents([push("reg.example", "team/app", null)], known)).toEqual([]);
    expect(tagsOfEvents([{ ...push("reg.example", "team/app", "latest"), action: "other" }], known)).toEqual([]);
  });

  it("names a tag once however many events name it", () => {
    const events = Array.from({ length: 50 }, () => push("reg.example", "team/app", "latest"));
    expect(tagsOfEvents(events, known)).toEqual(["reg.example/team/app:latest"]);
  });

  it("keeps the digest of a tag's last push as a hint; a delete or a payload without one gives null", () => {
    const d = (hex: string) => `sha256:${hex.repeat(64)}`;
    const events: RegistryEvent[] = [
      { ...push("reg.example", "team/app", "latest"), digest: d("1") },
      { ...push("reg.example", "team/app", "latest"), digest: d("2") },
      { ...push("docker.io", "nginx", "1"), action: "delete", digest: d("3") },
    ];
    expect(pushedDigests(events, known)).toEqual(
      new Map([
        ["reg.example/team/app:latest", d("2")],
        ["docker.io/library/nginx:1", null],
      ]),
    );
  });
});
