/**
 * The containers of Kubernetes manifests, as parsed from YAML or JSON into
 * plain values: the pod spec of each workload kind, its containers,
 * initContainers and ephemeralContainers, and the items of lists (`kubectl get
 * -o yaml` prints `kind: List`). Anything else (Services, ConfigMaps, custom
 * resources, null documents from `helm template`) has no containers here.
 */

export const CONTAINER_TYPES = ["container", "initContainer", "ephemeralContainer"] as const;
export type ContainerType = (typeof CONTAINER_TYPES)[number];

/** One container of a workload, with the fields the linter reads left as written. */
export interface WorkloadContainer {
  kind: string;
  /** `metadata.namespace`; null when the manifest leaves it to `kubectl apply -n`. */
  namespace: string | null;
  /** `metadata.name` (else `generateName`); null when neither is set. */
  name: string | null;
  /** The container's name, else its place, like `initContainers[1]`. */
  container: string;
  containerType: ContainerType;
  /** The `image` and `imagePullPolicy` fields as parsed: anything, or undefined when absent. */
  image: unknown;
  imagePullPolicy: unknown;
}

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ["spec"],
  Deployment: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  ReplicationController: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** The pod spec field of each container type. */
const CONTAINER_FIELDS: readonly (readonly [ContainerType, string])[] = [
  ["initContainer", "initContainers"],
  ["container", "containers"],
  ["ephemeralContainer", "ephemeralContainers"],
];

/** `List` from kubectl, or a typed list (`DeploymentList`) from the API, whose items may omit their kind. */
const LIST_KIND = /^(?<item>[A-Za-z0-9]*)List$/;

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringField(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function at(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isFields(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

function* podContainers(kind: string, object: Fields): Generator<WorkloadContainer> {
  const path = Object.hasOwn(POD_SPEC_PATHS, kind) ? POD_SPEC_PATHS[kind] : undefined;
  if (path === undefined) return;
  const podSpec = at(object, path);
  if (!isFields(podSpec)) return;
  const metadata = isFields(object.metadata) ? object.metadata : {};
  const namespace = stringField(metadata.namespace);
  const name = stringField(metadata.name) ?? stringField(metadata.generateName);
  for (const [containerType, field] of CONTAINER_FIELDS) {
    const list = podSpec[field];
    if (!Array.isArray(list)) continue;
    for (const [i, container] of list.entries()) {
      if (!isFields(container)) continue;
      yield {
        kind,
        namespace,
        name,
        container: stringField(container.name) ?? `${field}[${i}]`,
        containerType,
        image: container.image,
        imagePullPolicy: container.imagePullPolicy,
      };
    }
  }
}

function* objectContainers(object: unknown, itemKind: string | null): Generator<WorkloadContainer> {
  if (!isFields(object)) return;
  const kind = stringField(object.kind) ?? itemKind;
  if (kind === null) return;
  const list = LIST_KIND.exec(kind);
  if (list !== null && Array.isArray(object.items)) {
    const inner = list.groups?.item ?? "";
    for (const item of object.items) yield* objectContainers(item, inner === "" ? null : inner);
    return;
  }
  yield* podContainers(kind, object);
}

/** Every container of one parsed manifest document, in document order (init containers first in each pod). */
export function workloadContainers(doc: unknown): WorkloadContainer[] {
  return [...objectContainers(doc, null)];
}
