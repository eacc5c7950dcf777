/**
 * The objects of the FAKE Kubernetes API server (fake-kube-api.fake.ts) and
 * their event history. Every change bumps one global resourceVersion, like
 * etcd's revision, and is handed to the listener (the server's open watches).
 */
import { type KubeObject, RESOURCES, type Resource } from "./fake-kube-resources.fake.js";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoredEvent {
  resource: Resource;
  rv: number;
  type: EventType;
  object: KubeObject;
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

export class FakeKubeStore {
  readonly #objects = new Map<Resource, Map<string, KubeObject>>();
  readonly #events: StoredEvent[] = [];
  readonly #onEvent: (event: StoredEvent) => void;
  #rv = 1000;
  #uids = 0;
  #quiet = false;

  constructor(onEvent: (event: StoredEvent) => void) {
    this.#onEvent = onEvent;
  }

  /** The resourceVersion of the last change. */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** Every stored object of `resource`. */
  objects(resource: Resource): KubeObject[] {
    return [...this.#of(resource).values()];
  }

  /** One object by namespace and name. */
  get(resource: Resource, namespace: string | null, name: string): KubeObject | undefined {
    return this.#of(resource).get(`${namespace ?? ""}/${name}`);
  }

  /** The events of `resource` after resourceVersion `since`, oldest first. */
  eventsSince(resource: Resource, since: number): StoredEvent[] {
    return this.#events.filter((e) => e.resource === resource && e.rv > since);
  }

  /** Creates or replaces an object (ADDED or MODIFIED); returns it as stored, with uid and resourceVersion. */
  put(resource: Resource, object: KubeObject): KubeObject {
    const objects = this.#of(resource);
    const previous = objects.get(keyOf(object));
    this.#rv += 1;
    const info = RESOURCES[resource];
    const stored: KubeObject = structuredClone({
      kind: info.kind,
      apiVersion: info.apiVersion,
      ...object,
      metadata: {
        ...object.metadata,
        uid: object.metadata.uid ?? previous?.metadata.uid ?? `uid-${++this.#uids}`,
        resourceVersion: String(this.#rv),
      },
    });
    objects.set(keyOf(stored), stored);
    this.#emit(resource, previous === undefined ? "ADDED" : "MODIFIED", stored);
    return stored;
  }

  /** Deletes an object (DELETED); false when there was none. */
  delete(resource: Resource, namespace: string | null, name: string): boolean {
    const objects = this.#of(resource);
    const key = `${namespace ?? ""}/${name}`;
    const previous = objects.get(key);
    if (previous === undefined) return false;
    objects.delete(key);
    this.#rv += 1;
    this.#emit(resource, "DELETED", {
      ...previous,
      metadata: { ...previous.metadata, resourceVersion: String(this.#rv) },
    });
    return true;
  }

  /** Runs `change` without recording or handing on its events, as if they had been compacted away. */
  quietly(change: () => void): void {
    this.#quiet = true;
    try {
      change();
    } finally {
      this.#quiet = false;
    }
  }

  #of(resource: Resource): Map<string, KubeObject> {
    let objects = this.#objects.get(resource);
    if (objects === undefined) {
      objects = new Map();
      this.#objects.set(resource, objects);
    }
    return objects;
  }

  #emit(resource: Resource, type: EventType, object: KubeObject): void {
    if (this.#quiet) return;
    const event = { resource, rv: this.#rv, type, object };
    this.#events.push(event);
    this.#onEvent(event);
  }
}
