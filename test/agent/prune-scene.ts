/**
 * Random node states on a real containerd node, for the prune safety test:
 * tagged images (one of them under two tags), an image left dangling by a
 * re-pull after its tag moved, an image pulled by digest only, an image
 * imported on the node and never pushed, and pods whose containers are
 * created, running or exited, some of them using images by id the way kubelet
 * does, in any state. Everything is pushed once; each case resets the node (pods and every
 * image but the pause image removed) and builds its state through CRI.
 */
import { CriClient } from "@imagedrift/cri";
import fc from "fast-check";
import {
  AbortWait,
  type ContainerdNode,
  importImage,
  type Lab,
  type OciImage,
  type PodContainerSpec,
  runPod,
  waitFor,
} from "../lab/index.js";

export type ContainerState = "created" | "running" | "exited";

/**
 * Tagged images; `pool/b:alias` is `pool/b:1` under a second tag. Every image
 * of the scene is runnable (busybox), so containers of any state use any of them.
 */
export const POOL = ["pool/a:1", "pool/a:2", "pool/b:1", "pool/b:alias", "tools/x:1", "run/r0:1", "run/r1:1"] as const;
const MOVING_VERSIONS = 3;

export interface NodeCase {
  pool: boolean[];
  /** Pull the scene's moving tag (`moving/m:latest-NODE`) at version `from`, move the tag to `to`, pull again: `from` is left dangling. */
  dangling: [number, number] | null;
  /** Pull `moving/m@<digest of that version>`: an image with a repo digest and no tag. */
  digestOnly: number | null;
  local: boolean;
  pods: { image: string; state: ContainerState }[][];
}

const containerArb = fc.record({
  image: fc.constantFrom<string>(...POOL, "dangling"),
  state: fc.constantFrom<ContainerState>("created", "running", "exited"),
});

export const nodeCaseArb: fc.Arbitrary<NodeCase> = fc.record({
  pool: fc.array(fc.boolean(), { minLength: POOL.length, maxLength: POOL.length }),
  dangling: fc.option(
    fc.tuple(fc.nat(MOVING_VERSIONS - 1), fc.nat(MOVING_VERSIONS - 1)).filter(([a, b]) => a !== b),
    { nil: null },
  ),
  digestOnly: fc.option(fc.nat(MOVING_VERSIONS - 1), { nil: null }),
  local: fc.boolean(),
  pods: fc.array(fc.array(containerArb, { minLength: 1, maxLength: 3 }), { maxLength: 2 }),
});

export interface Scene {
  lab: Lab;
  node: ContainerdNode;
  cri: CriClient;
  movingDigests: string[];
  local: OciImage;
  pauseId: string;
  close(): void;
}

/** Pushes every image the cases use (once per lab) and pulls the pause image. */
export async function pushSceneImages(lab: Lab): Promise<{ movingDigests: string[]; local: OciImage }> {
  const alias = await lab.build({ runnable: true, salt: "pool/b" });
  for (const repoTag of POOL) {
    if (repoTag.startsWith("pool/b:")) await lab.push(alias, repoTag);
    else await lab.buildAndPush(repoTag, { runnable: true, salt: repoTag });
  }
  const movingDigests: string[] = [];
  for (let v = 0; v < MOVING_VERSIONS; v++) {
    movingDigests.push(await lab.buildAndPush(`moving/m:v${v}`, { runnable: true, salt: `moving-${v}` }));
  }
  return { movingDigests, local: await lab.build({ runnable: true, salt: "local-built" }) };
}

export async function openScene(
  lab: Lab,
  node: ContainerdNode,
  pushed: Awaited<ReturnType<typeof pushSceneImages>>,
): Promise<Scene> {
  const cri = CriClient.connect({ endpoint: node.endpoint, timeoutMs: 60_000 });
  const pauseId = await cri.pullImage(lab.sandboxImage);
  return { lab, node, cri, ...pushed, pauseId, close: () => cri.close() };
}

/**
 * The scene's own moving tag. Nodes run cases side by side against one registry: with one shared tag, one
 * node's PUT rewrote the tag link while the other's containerd read it, and the registry answered 500.
 */
const movingTagName = (scene: Scene) => `latest-${scene.node.name}`;
const movingTag = (scene: Scene) => `moving/m:${movingTagName(scene)}`;

/** Points the scene's moving tag at version `v` in the registry (a manifest PUT: the tag moves, as after a push). */
async function moveTag(scene: Scene, v: number): Promise<void> {
  const { registry } = scene.lab;
  const manifest = await fetch(`${registry.url}/v2/moving/m/manifests/v${v}`, {
    headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
  });
  if (!manifest.ok) throw new Error(`GET moving/m:v${v} answered ${manifest.status}: ${await manifest.text()}`);
  const put = await fetch(`${registry.url}/v2/moving/m/manifests/${movingTagName(scene)}`, {
    method: "PUT",
    headers: { "Content-Type": manifest.headers.get("content-type") ?? "" },
    body: Buffer.from(await manifest.arrayBuffer()),
  });
  if (put.status !== 201) throw new Error(`PUT ${movingTag(scene)} answered ${put.status}: ${await put.text()}`);
}

/** Removes every pod, then every image but the pause image. */
export async function resetNode(scene: Scene): Promise<void> {
  const { cri } = scene;
  for (const sandbox of await cri.listPodSandboxes()) {
    await cri.stopPodSandbox(sandbox.id);
    await cri.removePodSandbox(sandbox.id);
  }
  for (const image of await cri.listImages()) {
    if (image.id !== scene.pauseId) await cri.removeImage(image.id);
  }
}

const SERVER_ERROR = /unexpected status code .*?: 5\d\d /;

/**
 * Pulls `ref`, again while the lab registry answers 5xx: rewriting a tag of
 * moving/m (moveTag, on every node's scene at once) rewrites the link files
 * of the manifests it names, and the filesystem-backed registry answers 500
 * to a read that meets one half written. Any other failure fails at once.
 */
function pull(scene: Scene, ref: string): Promise<string> {
  // containerd words it two ways: `unexpected status code [manifests v1]: 500 …` and
  // `httpReadSeeker: failed open: unexpected status code http://…/manifests/sha256:…: 500 Internal Server Error`.
  return waitFor(
    async () => {
      try {
        return await scene.cri.pullImage(ref);
      } catch (error) {
        if (error instanceof Error && SERVER_ERROR.test(error.message)) throw error;
        throw new AbortWait(error instanceof Error ? error : new Error(String(error)));
      }
    },
    { what: `a pull of ${ref}`, intervalMs: 100 },
  );
}

/** Resets the node and builds the case's state on it. */
export async function buildCase(scene: Scene, c: NodeCase): Promise<void> {
  const { lab, cri } = scene;
  await resetNode(scene);
  for (const [i, present] of c.pool.entries()) {
    if (present) await pull(scene, lab.ref(POOL[i] ?? ""));
  }
  let danglingId: string | null = null;
  if (c.dangling) {
    await moveTag(scene, c.dangling[0]);
    danglingId = await pull(scene, lab.ref(movingTag(scene)));
    await moveTag(scene, c.dangling[1]);
    await pull(scene, lab.ref(movingTag(scene)));
  }
  if (c.digestOnly !== null) {
    await pull(scene, `${lab.registry.host}/moving/m@${scene.movingDigests[c.digestOnly]}`);
  }
  if (c.local) {
    const name = lab.ref("local/built:dev");
    await importImage({ target: { socket: scene.node.socket }, image: scene.local, name });
    await waitFor(async () => (await cri.imageStatus(name)) !== null, { what: `CRI to list ${name}` });
  }
  for (const [p, containers] of c.pods.entries()) {
    const specs: PodContainerSpec[] = [];
    for (const [i, container] of containers.entries()) {
      if (container.image === "dangling" && danglingId === null) continue;
      // kubelet creates containers with the image id PullImage returned: an old pod keeps running a moved tag's old image.
      const image = container.image === "dangling" ? (danglingId ?? "") : lab.ref(container.image);
      specs.push({ name: `c${i}`, image, state: container.state });
    }
    if (specs.length > 0) await runPod(scene.node, { name: `pod${p}`, namespace: "safety", containers: specs });
  }
}
