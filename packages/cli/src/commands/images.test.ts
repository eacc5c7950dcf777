import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cannedRoutes, WORKER_1_IMAGES } from "../api-fixtures.fake.js";
import { runCli } from "../cli-harness.fake.js";
import { FakeCollector } from "../collector.fake.js";

let fake: FakeCollector;
let env: Record<string, string>;
beforeAll(async () => {
  fake = await FakeCollector.start({ routes: cannedRoutes() });
  env = { IMAGEDRIFT_SERVER: fake.url };
});
afterAll(() => fake.close());

describe("imagedrift images NODE", () => {
  it("lists the node's images with short digests, sizes and users", async () => {
    const result = await runCli(["images", "worker-1"], { env });
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")).toEqual([
      "IMAGE                                 DIGEST                IMAGE ID                  SIZE   STATUS           USED BY",
      "nginx:1.27                            sha256:aaaaaaaaaaaa   sha256:111111111111   68.7 MiB   in use           shop/web-0",
      "registry.example.com/team/app:2.4.1   sha256:bbbbbbbbbbbb   sha256:222222222222    200 MiB   unused",
      "registry.k8s.io/pause:3.10            sha256:cccccccccccc   sha256:333333333333    313 KiB   in use, pinned",
      "",
    ]);
    expect(fake.paths.at(-1)).toBe("/api/v1/nodes/worker-1/images");
  });

  it.each([
    ["--in-use", [WORKER_1_IMAGES[0], WORKER_1_IMAGES[2]]],
    ["--unused", [WORKER_1_IMAGES[1]]],
  ])("%s filters", async (flag, want) => {
    const result = await runCli(["images", "worker-1", flag, "-o", "json"], { env });
    expect(JSON.parse(result.stdout)).toEqual(want);
  });

  it("refuses --in-use with --unused", async () => {
    const result = await runCli(["images", "worker-1", "--in-use", "--unused"], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot be used with/);
  });
});
