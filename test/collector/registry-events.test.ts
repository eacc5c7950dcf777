/**
 * Registry push notifications on the real docker-registry 2.8 (configured
 * with `notifications: endpoints:`), a real collector and agent: a push of a
 * tag a node holds shows as drift without waiting for the resolve interval
 * (an hour here), and a push of a tag nobody holds costs no registry request.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CriClient } from "@imagedrift/cri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Lab, startLab } from "../lab/index.js";
import { waitFor } from "../lab/wait.js";
import { type Agent, type Collector, startAgent, startCollector } from "../scenario/processes.js";
import { findings, tag } from "./api.js";

const TOKEN = "lab-token-events-1";
const EVENTS_TOKEN = "lab-registry-events-2";
let lab: Lab;
let dir: string;
let collector: Collector;
let agent: Agent;

beforeAll(async () => {
  dir = await mkdtemp("/tmp/idl-revents-");
  // The registry's config names the collector's URL, so the collector's port is chosen first.
  const httpPort = await freePort();
  lab = await startLab({
    nodes: ["n1"],
    registryNotifications: [
      { name: "imagedrift", url: `http://127.0.0.1:${httpPort}/api/v1/registry-events`, token: EVENTS_TOKEN },
    ],
  });
  const eventsTokenFile = join(dir, "registry-events-token");
  await writeFile(eventsTokenFile, `${EVENTS_TOKEN}\n`, { mode: 0o600 });
  collector = await startCollector({
    dir,
    token: TOKEN,
    httpPort,
    resolveInterval: "1h",
    extraArgs: ["--registry-events-token-file", eventsTokenFile],
  });
  const node = lab.node("n1");
  agent = await startAgent({
    dir,
    node: "n1",
    endpoint: node.endpoint,
    collector: collector.grpcAddress,
    tokenFile: collector.tokenFile,
  });
});

afterAll(async () => {
  await agent?.stop();
  await collector?.stop();
  await lab?.stop();
});

async function metricSum(name: string, labelMatch = ""): Promise<number> {
  const text = await (await fetch(`${collector.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) && line.includes(labelMatch))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

function postEvents(body: string, authorization?: string) {
  return fetch(`${collector.url}/api/v1/registry-events`, {
    method: "POST",
    headers: {
      "content-type": "application/vnd.docker.distribution.events.v1+json",
      ...(authorization ? { authorization } : {}),
    },
    body,
  });
}

describe("registry push notifications", () => {
  it("a push of a held tag makes its stale-tag finding appear within seconds, not at the hourly resolve", async () => {
    const ref = lab.ref("events/app:latest");
    const oldDigest = await lab.buildAndPush("events/app:latest", { salt: "old" });
    const cri = CriClient.connect({ endpoint: lab.node("n1").endpoint });
    try {
      await cri.pullImage(ref);
    } finally {
      cri.close();
    }
    await waitFor(async () => (await tag(collector.url, ref))?.registryDigest === oldDigest, {
      what: "events/app:latest held by n1 and resolved",
      timeoutMs: 60_000,
    });
    // Asked when n1 first reported it (the push of the old digest came before any node held it).
    expect((await tag(collector.url, ref))?.resolvedBy).toBe("inventory");
    const newDigest = await lab.buildAndPush("events/app:latest", { salt: "new" });
    const pushedAt = Date.now();
    const finding = await waitFor(
      async () =>
        (await findings(collector.url)).find(
          (f) => f.kind === "stale-tag" && f.reference === ref && f.registryDigest === newDigest,
        ),
      { what: "the stale-tag finding after the push", timeoutMs: 15_000 },
    );
    expect(finding.digests).toEqual([oldDigest]);
    // The tag's answer says when and why it was asked: the registry's notification.
    const view = await tag(collector.url, ref);
    expect(view).toMatchObject({ registryDigest: newDigest, resolvedBy: "event" });
    expect(Date.parse(view?.resolvedAt ?? "")).toBeGreaterThanOrEqual(pushedAt - 1_000);
    // Far sooner than the interval (an hour): the registry's notification, not a poll.
    expect(Date.now() - pushedAt).toBeLessThan(15_000);
    expect(await metricSum("imagedrift_registry_events_total", 'result="resolving"')).toBeGreaterThan(0);
  });

  it("a push of a tag nobody holds costs no registry request", async () => {
    const notHeldBefore = await metricSum("imagedrift_registry_events_total", 'result="not-held"');
    const requestsBefore = await metricSum("imagedrift_registry_requests_total");
    await lab.buildAndPush("events/nobody:1", { salt: "nobody" });
    // The registry's notification has arrived once the collector counts a not-held event for it.
    await waitFor(
      async () => (await metricSum("imagedrift_registry_events_total", 'result="not-held"')) > notHeldBefore,
      { what: "the push notification of events/nobody:1", timeoutMs: 15_000 },
    );
    expect(await metricSum("imagedrift_registry_requests_total")).toBe(requestsBefore);
  });

  it("answers a bad payload 400 naming the problem, and a request without the token 401", async () => {
    const bad = await postEvents(JSON.stringify({ events: [{ action: "push" }] }), `Bearer ${EVENTS_TOKEN}`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: { code: "invalid-argument", message: "events[0].target must be an object" },
    });
    const anonymous = await postEvents(JSON.stringify({ events: [] }));
    expect(anonymous.status).toBe(401);
    const wrong = await postEvents(JSON.stringify({ events: [] }), "Bearer not-the-token");
    expect(wrong.status).toBe(401);
  });
});
