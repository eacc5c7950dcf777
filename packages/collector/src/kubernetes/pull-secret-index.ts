/**
 * Which pods use a repository, for the pull-secrets credential source
 * (docs/registries.md#pull-secrets): kept as pods come and go, so that a
 * lookup per tag costs the pods of that repository, not all of them.
 */
import { repositoryOf, tryParseImageRef } from "@imagedrift/core";
import type { PodPullSecrets } from "./pod-projection.js";

export class PullSecretIndex {
  /** By pod key (`namespace/name`): what it names, and the repositories (`host/repository`) of its images. */
  readonly #pods = new Map<string, { pulls: PodPullSecrets; repositories: readonly string[] }>();
  readonly #byRepository = new Map<string, Map<string, PodPullSecrets>>();

  /** Records the pod's pull secrets and images (undefined: the pod is gone). */
  set(key: string, pulls: PodPullSecrets | undefined): void {
    const previous = this.#pods.get(key);
    for (const repository of previous?.repositories ?? []) {
      const pods = this.#byRepository.get(repository);
      pods?.delete(key);
      if (pods?.size === 0) this.#byRepository.delete(repository);
    }
    if (pulls === undefined) {
      this.#pods.delete(key);
      return;
    }
    const repositories = [
      ...new Set(
        pulls.images.flatMap((image) => {
          const ref = tryParseImageRef(image);
          return ref === null ? [] : [repositoryOf(ref)];
        }),
      ),
    ];
    this.#pods.set(key, { pulls, repositories });
    for (const repository of repositories) {
      const pods = this.#byRepository.get(repository) ?? new Map<string, PodPullSecrets>();
      pods.set(key, pulls);
      this.#byRepository.set(repository, pods);
    }
  }

  /** The pods whose containers use `repository` (`host/repository`), by namespace then name. */
  podsUsing(repository: string): PodPullSecrets[] {
    const pods = this.#byRepository.get(repository);
    if (pods === undefined) return [];
    return [...pods.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, pulls]) => pulls);
  }
}
