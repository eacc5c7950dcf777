import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serverNames, serviceAccountNamespace } from "./server-names.js";

describe("serverNames", () => {
  it("names the Service as pods in the cluster dial it, then the extra names, once each", () => {
    expect(
      serverNames({
        service: "imagedrift-collector",
        namespace: "imagedrift",
        extra: ["127.0.0.1", "imagedrift-collector"],
      }),
    ).toEqual([
      "imagedrift-collector",
      "imagedrift-collector.imagedrift",
      "imagedrift-collector.imagedrift.svc",
      "imagedrift-collector.imagedrift.svc.cluster.local",
      "127.0.0.1",
    ]);
  });

  it("names only the Service and the extra names outside a namespace", () => {
    expect(serverNames({ service: "imagedrift-collector", namespace: null, extra: ["localhost"] })).toEqual([
      "imagedrift-collector",
      "localhost",
    ]);
  });
});

describe("serviceAccountNamespace", () => {
  it("reads the namespace file as the kubelet writes it, and gives null without one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "idl-sa-"));
    try {
      await writeFile(join(dir, "namespace"), "imagedrift");
      expect(serviceAccountNamespace(join(dir, "namespace"))).toBe("imagedrift");
      expect(serviceAccountNamespace(join(dir, "absent"))).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
