import { describe, expect, it } from "vitest";
import type { ImageContainer, NodeImage, PodSandboxSummary } from "./inventory.js";
import { imageDuplicates, inventoryDuplicates } from "./inventory-duplicates.js";

const container = (id: string): ImageContainer => ({
  id,
  pod: "p",
  namespace: "n",
  container: "c",
  state: "running",
  podUid: "u",
  image: "i",
});
const image = (id: string, containers: string[] = []): NodeImage => ({
  id,
  repoTags: [],
  repoDigests: [],
  size: 1,
  pinned: false,
  sandbox: false,
  inUse: containers.length > 0,
  containers: containers.map(container),
});
const pod = (id: string): PodSandboxSummary => ({ id, name: id, namespace: "n", uid: id, state: "ready" });

describe("inventoryDuplicates", () => {
  it("finds nothing in an inventory whose ids are unique", () => {
    expect(inventoryDuplicates({ images: [image("a", ["c1"]), image("b", ["c2"])], pods: [pod("p1")] })).toEqual([]);
  });

  it("names each id listed twice: images, containers across images, pods", () => {
    const problems = inventoryDuplicates({
      images: [image("a", ["c1"]), image("a"), image("b", ["c1"])],
      pods: [pod("p1"), pod("p1")],
    });
    expect(problems).toEqual([
      'image "a" is listed twice',
      'container "c1" is listed twice',
      'pod "p1" is listed twice',
    ]);
  });

  it("imageDuplicates names the image ids listed twice alone, as inventoryDuplicates does", () => {
    const images = [image("a", ["c1"]), image("a"), image("b", ["c1"])];
    expect(imageDuplicates(images)).toEqual(['image "a" is listed twice']);
    expect(imageDuplicates([image("a"), image("b")])).toEqual([]);
  });
});
