/**
 * The namespace filter's data, loaded on demand: every node's images (with
 * their containers' namespaces) are read the first time the list is opened,
 * a few nodes at a time, and again at most every 30 s while a namespace is chosen.
 */
import type { Api } from "./api.js";
import type { NodeImageItem } from "./api-types.js";
import type { Snapshot } from "./app-context.js";
import { buildNamespaceIndex, type NamespaceIndex } from "./namespaces.js";

const CONCURRENCY = 4;
const MAX_AGE_MS = 30_000;

export class NamespaceLoader {
  index: NamespaceIndex | null = null;
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly api: Api,
    private readonly snapshot: () => Snapshot,
    private readonly loaded: () => void,
  ) {}

  /** The references pods of `namespace` use, or null while unknown. */
  tagsOf(namespace: string): ReadonlySet<string> | null {
    return this.index?.tagsByNamespace.get(namespace) ?? (this.index ? new Set() : null);
  }

  load(): Promise<void> {
    if (this.loading) return this.loading;
    if (this.index && Date.now() - this.loadedAt < MAX_AGE_MS) return Promise.resolve();
    this.loading = this.fetchAll().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async fetchAll(): Promise<void> {
    const { nodes, tags } = this.snapshot();
    const byNode = new Map<string, NodeImageItem[]>();
    const queue = nodes.map((n) => n.name);
    const worker = async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        try {
          byNode.set(name, (await this.api.nodeImages(name)).items);
        } catch {
          // A node that disappeared between the two reads: its pods are not listed.
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    this.index = buildNamespaceIndex(byNode, tags);
    this.loadedAt = Date.now();
    this.loaded();
  }
}
