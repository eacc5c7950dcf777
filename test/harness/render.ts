/**
 * The shipped manifests as a user installs them (deploy/README.md, "Install"): an overlay of their
 * own, written in a temp dir, that takes `deploy` (or one runtime's overlay) as its resource, names
 * the images on their registry (`images:` newName/newTag) and replaces the placeholder token with a
 * `secretGenerator` reading a local file; then `kubectl kustomize`. Nothing is copied by hand.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import { find, type K8sObject, kustomize, repoPath, type Service, type Workload } from "../deploy/manifests.js";

export interface RenderOptions {
  /** A kustomization under the repository (`deploy`, `deploy/overlays/<runtime>`), or an absolute path. */
  resource: string;
  /** Image name → full reference without tag (`127.0.0.1:PORT/imagedrift-agent`). */
  images: Record<"imagedrift-agent" | "imagedrift-collector", { name: string; tag: string }>;
  /** The token's value, written to the overlay's `token` file (deleted with the temp dir). */
  token: string;
}

export interface Rendered {
  objects: K8sObject[];
  agent: Workload;
  collector: Workload;
  collectorService: Service;
  /** Secrets with their data decoded. */
  secrets: { namespace: string; name: string; data: Record<string, string> }[];
}

export async function renderDeploy(options: RenderOptions): Promise<Rendered> {
  const dir = await mkdtemp(join(tmpdir(), "imagedrift-harness-"));
  try {
    const kustomization = {
      apiVersion: "kustomize.config.k8s.io/v1beta1",
      kind: "Kustomization",
      resources: [relative(dir, options.resource.startsWith("/") ? options.resource : repoPath(options.resource))],
      images: Object.entries(options.images).map(([name, image]) => ({
        name,
        newName: image.name,
        newTag: image.tag,
      })),
      secretGenerator: [
        {
          name: "imagedrift-token",
          namespace: "imagedrift",
          behavior: "replace",
          files: ["token"],
          options: { disableNameSuffixHash: true },
        },
      ],
    };
    await writeFile(join(dir, "kustomization.yaml"), stringify(kustomization));
    await writeFile(join(dir, "token"), options.token, { mode: 0o600 });
    const objects = await kustomize(dir);
    return {
      objects,
      agent: find<Workload>(objects, "DaemonSet", "imagedrift-agent"),
      collector: find<Workload>(objects, "StatefulSet", "imagedrift-collector"),
      collectorService: find<Service>(objects, "Service", "imagedrift-collector"),
      secrets: objects.filter((o) => o.kind === "Secret").map(decodeSecret),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function decodeSecret(secret: K8sObject): Rendered["secrets"][number] {
  const { data = {}, stringData = {} } = secret as {
    data?: Record<string, string>;
    stringData?: Record<string, string>;
  };
  const decoded = Object.fromEntries(
    Object.entries(data).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]),
  );
  return {
    namespace: secret.metadata.namespace ?? "default",
    name: secret.metadata.name ?? "",
    data: { ...decoded, ...stringData },
  };
}
