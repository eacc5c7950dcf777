import type { ImageContainer, NodeImage, PodSandboxSummary } from "@imagedrift/core";

/** Values kept at most: namespaces, container names and states are a few thousand in a large cluster. */
const MAX_VALUES = 50_000;

/**
 * One string object per distinct value of the fields that repeat across
 * nodes (namespaces, container names, states) and within a node (a
 * container's pod name, namespace and uid are its pod's; its image is the
 * image's id). Decoding makes a new string of each, every time: copies that
 * grow with nodes times pods.
 */
export class SharedStrings {
  readonly #values = new Map<string, string>();

  share(value: string): string {
    const known = this.#values.get(value);
    if (known !== undefined) return known;
    if (this.#values.size < MAX_VALUES) this.#values.set(value, value);
    return value;
  }

  /** The pods with shared namespaces and states. */
  pods(pods: readonly PodSandboxSummary[]): PodSandboxSummary[] {
    return pods.map((pod) => ({
      ...pod,
      namespace: this.share(pod.namespace),
      state: this.share(pod.state) as PodSandboxSummary["state"],
    }));
  }

  /**
   * The images, those with containers given containers whose strings are
   * shared with their pod, their image's id (`idOf`: the interned image's, by
   * the image's place in `images`) and other nodes.
   */
  images(
    images: readonly NodeImage[],
    pods: readonly PodSandboxSummary[],
    idOf: (image: NodeImage, index: number) => string,
  ): NodeImage[] {
    const byUid = new Map(pods.map((pod) => [pod.uid, pod]));
    return images.map((image, index) => {
      if (image.containers.length === 0) return image;
      const id = idOf(image, index);
      const containers = image.containers.map((c): ImageContainer => {
        const pod = byUid.get(c.podUid);
        return {
          id: c.id,
          pod: pod !== undefined && pod.name === c.pod ? pod.name : c.pod,
          namespace: pod !== undefined && pod.namespace === c.namespace ? pod.namespace : this.share(c.namespace),
          container: this.share(c.container),
          state: this.share(c.state) as ImageContainer["state"],
          podUid: pod?.uid ?? c.podUid,
          image: c.image === id ? id : c.image,
        };
      });
      return { ...image, containers };
    });
  }
}
