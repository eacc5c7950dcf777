/**
 * The seeds' incidents (docs/ARCHITECTURE.md#the-problem), made real on a 3-node lab:
 *
 * - `shop/web:latest` is pulled by n1 and n2, pushed again, then pulled by
 *   n2 (its tag moves) and n3: nodes disagree, n1 is stale, and the pods
 *   started on the old image keep running it (web-1 on n1, web-2 on n2).
 * - `shop/api:stable` is pulled by n1 and n3, then pushed again: both nodes
 *   agree with each other, and both are stale against the registry.
 * - `shop/legacy:1.0` is pulled by n1 and n2, then deleted from the registry.
 * - `shop/tools:dev` is imported on n3 only and never pushed.
 * - `base/runtime:3` is a multi-arch index, current everywhere: no finding.
 */
import { CriClient } from "@imagedrift/cri";
import type { Lab } from "../lab/index.js";
import { runPod } from "../lab/pods.js";

export interface Incidents {
  web: { ref: string; oldDigest: string; newDigest: string };
  api: { ref: string; oldDigest: string; newDigest: string };
  legacy: { ref: string; digest: string };
  tools: { ref: string };
  runtime: { ref: string; digest: string };
}

async function pull(lab: Lab, node: string, ref: string): Promise<void> {
  const cri = CriClient.connect({ endpoint: lab.node(node).endpoint });
  try {
    await cri.pullImage(ref);
  } finally {
    cri.close();
  }
}

export async function seedIncidents(lab: Lab): Promise<Incidents> {
  const [n1, n2, n3] = ["n1", "n2", "n3"];
  if (!lab.nodes.some((n) => n.name === n3)) throw new Error("seedIncidents needs nodes n1, n2 and n3");
  const web = lab.ref("shop/web:latest");
  const api = lab.ref("shop/api:stable");
  const legacy = lab.ref("shop/legacy:1.0");
  const tools = lab.ref("shop/tools:dev");
  const runtime = lab.ref("base/runtime:3");

  const [oldDigest, apiOldDigest, legacyDigest, runtimeDigest] = await Promise.all([
    lab.buildAndPush(web, { runnable: true, salt: "web v1" }),
    lab.buildAndPush(api, { salt: "api v1" }),
    lab.buildAndPush(legacy, { runnable: true, salt: "legacy 1.0" }),
    lab.buildAndPush(runtime, {
      salt: "runtime 3",
      platforms: [
        { os: "linux", architecture: "amd64" },
        { os: "linux", architecture: "arm64" },
      ],
    }),
  ]);
  await Promise.all(
    [n1, n2, n3].map(async (node) => {
      if (node !== n3) {
        await pull(lab, node, web);
        await pull(lab, node, legacy);
      }
      if (node !== n2) await pull(lab, node, api);
      await pull(lab, node, runtime);
    }),
  );
  await Promise.all([
    runPod(lab.node(n1), { name: "web-1", namespace: "shop", containers: [{ name: "web", image: web }] }),
    runPod(lab.node(n2), { name: "web-2", namespace: "shop", containers: [{ name: "web", image: web }] }),
  ]);

  const newDigest = await lab.buildAndPush(web, { runnable: true, salt: "web v2" });
  const apiNewDigest = await lab.buildAndPush(api, { salt: "api v2" });
  await Promise.all([pull(lab, n2, web), pull(lab, n3, web)]);
  await lab.deleteTag(legacy);
  await lab.importImage(n3, tools, { runnable: true, salt: "tools dev" });

  return {
    web: { ref: web, oldDigest, newDigest },
    api: { ref: api, oldDigest: apiOldDigest, newDigest: apiNewDigest },
    legacy: { ref: legacy, digest: legacyDigest },
    tools: { ref: tools },
    runtime: { ref: runtime, digest: runtimeDigest },
  };
}
