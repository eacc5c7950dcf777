/**
 * containerd's event stream on real containerd: a CRI pull and removal in
 * the k8s.io namespace arrive as image events; events of another namespace
 * are filtered out by the runtime; a containerd restart under an open
 * subscription is survived (the stream reconnects and events flow again).
 */
import { CriClient, type RuntimeEvent, RuntimeEvents, type RuntimeEventsState } from "@imagedrift/cri";
import { afterAll, beforeAll, expect, it } from "vitest";
import { importImage, type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";

let lab: Lab;
let events: RuntimeEvents;
let cri: CriClient;
const seen: RuntimeEvent[] = [];
const states: RuntimeEventsState[] = [];

beforeAll(async () => {
  lab = await startLab({ nodes: ["n1"] });
  const { endpoint } = lab.node("n1");
  cri = CriClient.connect({ endpoint });
  events = RuntimeEvents.subscribe({
    endpoint,
    namespace: "k8s.io",
    topics: ["/images/", "/containers/", "/tasks/"],
    onEvent: (event) => seen.push(event),
    onState: (state) => states.push(state),
    retry: { initialMs: 50, maxMs: 500 },
  });
  await waitFor(() => events.state === "subscribed", { what: "the event stream to open", timeoutMs: 10_000 });
});

afterAll(async () => {
  events?.close();
  cri?.close();
  await lab?.stop();
});

const topicsSince = (from: number) => seen.slice(from).map((e) => `${e.namespace} ${e.topic}`);

it("a CRI pull and removal arrive as k8s.io image events", async () => {
  const ref = lab.ref("events/app:1");
  await lab.buildAndPush(ref, { salt: "events app 1" });
  const from = seen.length;
  await cri.pullImage(ref);
  await waitFor(() => topicsSince(from).includes("k8s.io /images/create"), {
    what: `an /images/create event (seen: ${topicsSince(from).join(", ")})`,
    timeoutMs: 10_000,
  });
  const afterPull = seen.length;
  await cri.removeImage(ref);
  await waitFor(() => topicsSince(afterPull).includes("k8s.io /images/delete"), {
    what: "an /images/delete event",
    timeoutMs: 10_000,
  });
});

it("events of another namespace never arrive", async () => {
  const from = seen.length;
  // An import in the default namespace, then one in k8s.io: once the second arrives, the first would have too.
  const elsewhere = await lab.build({ salt: "elsewhere" });
  const node = lab.node("n1");
  await importImage({
    target: { socket: node.socket, namespace: "default" },
    image: elsewhere,
    name: lab.ref("events/elsewhere:1"),
  });
  await lab.importImage("n1", lab.ref("events/here:1"), { salt: "here" });
  await waitFor(() => topicsSince(from).includes("k8s.io /images/create"), {
    what: "the k8s.io import's event",
    timeoutMs: 10_000,
  });
  expect(seen.slice(from).every((e) => e.namespace === "k8s.io")).toBe(true);
});

it("survives a containerd restart: the stream reconnects and events flow again", async () => {
  const node = lab.node("n1");
  const before = states.length;
  await node.stop();
  await waitFor(() => states.slice(before).includes("reconnecting"), {
    what: "the stream to notice",
    timeoutMs: 10_000,
  });
  await node.start();
  await waitFor(() => events.state === "subscribed", { what: "the stream to reopen", timeoutMs: 20_000 });
  const ref = lab.ref("events/after-restart:1");
  await lab.buildAndPush(ref, { salt: "after restart" });
  const from = seen.length;
  await cri.pullImage(ref);
  await waitFor(() => topicsSince(from).includes("k8s.io /images/create"), {
    what: "an /images/create event after the restart",
    timeoutMs: 10_000,
  });
});
