import type { NodeImage, PodSandboxSummary } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { SharedStrings } from "./shared-strings.js";

const pod = (name: string, uid: string): PodSandboxSummary => ({
  id: `sandbox-${name}`,
  name,
  namespace: "team-a",
  uid,
  state: "ready",
});
const image = (id: string, containers: NodeImage["containers"]): NodeImage => ({
  id,
  repoTags: [],
  repoDigests: [],
  size: 1,
  pinned: false,
  sandbox: false,
  inUse: containers.length > 0,
  containers,
});

describe("SharedStrings", () => {
  it("changes no value: containers keep their own pod fields where they differ from the pod's, or have no pod", () => {
    const strings = new SharedStrings();
    const pods = strings.pods([pod("web-1", "uid-1"), pod("web-2", "uid-2")]);
    const images = [
      image("sha256:a", [
        {
          id: "c1",
          pod: "web-1",
          namespace: "team-a",
          container: "main",
          state: "running",
          podUid: "uid-1",
          image: "sha256:a",
        },
        {
          id: "c2",
          pod: "renamed",
          namespace: "team-b",
          container: "side",
          state: "exited",
          podUid: "uid-2",
          image: "app:1",
        },
        {
          id: "c3",
          pod: "",
          namespace: "",
          container: "x",
          state: "unknown",
          podUid: "no-such-pod",
          image: "sha256:a",
        },
      ]),
      image("sha256:b", []),
    ];
    const copy = structuredClone(images);
    const shared = strings.images(images, pods, (i) => i.id);
    expect(shared).toEqual(copy);
    expect(images).toEqual(copy);
    // An image without containers is passed on as it is.
    expect(shared[1]).toBe(images[1]);
    expect(pods).toEqual([pod("web-1", "uid-1"), pod("web-2", "uid-2")]);
  });

  it("keeps at most 50,000 values and still answers every one", () => {
    const strings = new SharedStrings();
    for (let i = 0; i < 60_000; i++) expect(strings.share(`ns-${i}`)).toBe(`ns-${i}`);
  });
});
