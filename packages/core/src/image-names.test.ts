import { describe, expect, it } from "vitest";
import { digest, image } from "./drift.fake.js";
import {
  hasRepoDigest,
  imageNames,
  isImageId,
  parsedReference,
  parsedRepoDigest,
  parsedTag,
  repoDigestsOf,
} from "./image-names.js";
import { parseRepoDigest, repositoryOf, tagOf, tryParseImageRef } from "./image-ref.js";

const D1 = digest("1");
const D2 = digest("2");
const APP = "registry.example.com/team/app";

/** Valid, unnormalised and invalid names, as inventories and pod specs write them. */
const NAMES = [
  "nginx",
  "nginx:1.25",
  "docker.io/library/nginx:1.25",
  "index.docker.io/library/nginx:latest",
  `${APP}:v1`,
  `${APP}@${D1}`,
  `${APP}:v1@${D1}`,
  "localhost:5000/dev",
  "[::1]:5000/dev:x",
  "Bad/Name:1",
  "nginx:",
  "",
  D1,
  D1.slice(7),
  `nginx@sha256:${"z".repeat(64)}`,
];

describe("memoised parses", () => {
  it.each(NAMES)("%j parses as the uncached parser does", (name) => {
    const ref = tryParseImageRef(name);
    expect(parsedReference(name)).toEqual(ref);
    const tag = ref !== null && ref.digest === null && name !== "" ? tagOf(ref) : null;
    const want = ref === null || tag === null ? null : { tag, repository: repositoryOf(ref) };
    expect(
      parsedTag(name) === null ? null : { tag: parsedTag(name)?.tag, repository: parsedTag(name)?.repository },
    ).toEqual(want);
    const repoDigest = parseRepoDigest(name);
    const cached = parsedRepoDigest(name);
    expect(cached === null ? null : { repository: cached.repository, digest: cached.digest }).toEqual(repoDigest);
    expect(isImageId(name)).toBe(/^(?:sha256:)?[a-f0-9]{64}$/.test(name));
  });

  it("returns one shared, frozen result per string", () => {
    const tag = parsedTag("nginx:1.25");
    expect(parsedTag("nginx:1.25")).toBe(tag);
    expect(Object.isFrozen(tag)).toBe(true);
    expect(tag?.alone).toEqual([tag]);
    const entry = parsedRepoDigest(`${APP}@${D1}`);
    expect(entry?.alone).toEqual([D1]);
    expect(Object.isFrozen(entry?.alone)).toBe(true);
  });
});

describe("repoDigestsOf", () => {
  it("lists the image's digests for one repository, sorted and distinct", () => {
    const img = image({
      id: "x",
      digests: [`${APP}@${D2}`, `docker.io/library/nginx@${D1}`, `${APP}@${D1}`, `${APP}@${D2}`],
    });
    expect(repoDigestsOf(img, APP)).toEqual([D1, D2]);
    expect(repoDigestsOf(img, "docker.io/library/nginx")).toEqual([D1]);
    expect(repoDigestsOf(img, "docker.io/library/redis")).toEqual([]);
    expect(hasRepoDigest(img, APP)).toBe(true);
    expect(hasRepoDigest(img, "docker.io/library/redis")).toBe(false);
  });

  it("answers the same for one entry whether it was seen before or not", () => {
    const a = image({ id: "a", digests: [`${APP}@${D1}`] });
    const b = image({ id: "b", digests: [`${APP}@${D2}`] });
    const local = image({ id: "c", digests: ["not a digest"] });
    for (let i = 0; i < 3; i++) {
      expect(repoDigestsOf(a, APP)).toEqual([D1]);
      expect(repoDigestsOf(b, APP)).toEqual([D2]);
      expect(repoDigestsOf(a, "docker.io/library/nginx")).toEqual([]);
      expect(repoDigestsOf(local, APP)).toEqual([]);
    }
  });

  it("agrees with imageNames", () => {
    const img = image({
      id: "x",
      tags: ["nginx", `${APP}:v1`, "Bad/Name:1"],
      digests: [`${APP}@${D1}`, `nginx@${D2}`],
    });
    const names = imageNames(img);
    expect(Object.fromEntries(names.tags)).toEqual({
      "docker.io/library/nginx:latest": "docker.io/library/nginx",
      [`${APP}:v1`]: APP,
    });
    expect(Object.fromEntries(names.digests)).toEqual({ [APP]: [D1], "docker.io/library/nginx": [D2] });
    for (const [repository, list] of names.digests) expect(repoDigestsOf(img, repository)).toEqual(list);
  });
});
