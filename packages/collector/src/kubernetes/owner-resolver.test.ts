import { createLogger } from "@imagedrift/core";
import { describe, expect, it, vi } from "vitest";
import { type OwnerReader, OwnerResolver } from "./owner-resolver.js";

const rs = { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-5d8f", uid: "u1", controller: true };
const WAIT = { timeout: 2_000, interval: 5 };

/** A reader whose answers the test gives: each call waits for `answer`. */
function scriptedReader(answers: (() => { kind: string; name: string } | null)[]) {
  let calls = 0;
  const reader: OwnerReader = {
    controllerOf: async () => {
      const answer = answers[calls++];
      if (answer === undefined) throw new Error("no more answers");
      return answer();
    },
  };
  return { reader, calls: () => calls };
}

function resolver(reader: OwnerReader) {
  const logs: { level: string; msg: string }[] = [];
  const resolved: string[] = [];
  const owners = new OwnerResolver({
    reader,
    log: createLogger({ write: (line) => logs.push(JSON.parse(line)) }),
    backoff: { baseMs: 5, maxMs: 20 },
    onResolved: (key) => resolved.push(key),
  });
  return { owners, logs, resolved };
}

describe("OwnerResolver", () => {
  it("holds a pod back while its ReplicaSet's first lookup runs, then names its Deployment", async () => {
    const { reader, calls } = scriptedReader([() => ({ kind: "Deployment", name: "web" })]);
    const { owners, resolved } = resolver(reader);
    expect(owners.workloadOf("shop", "web-5d8f-a", rs)).toEqual({
      workload: { kind: "ReplicaSet", namespace: "shop", name: "web-5d8f" },
      settled: false,
    });
    await vi.waitFor(() => expect(resolved).toEqual(["shop/ReplicaSet/web-5d8f"]), WAIT);
    expect(owners.workloadOf("shop", "web-5d8f-b", rs)).toEqual({
      workload: { kind: "Deployment", namespace: "shop", name: "web" },
      settled: true,
    });
    expect(calls()).toBe(1);
  });

  it("names pods by their direct controller after a failed lookup, retries, and logs once each way", async () => {
    const forbidden = () => {
      throw new Error("403 Forbidden");
    };
    const { reader, calls } = scriptedReader([
      forbidden,
      forbidden,
      forbidden,
      () => ({ kind: "Deployment", name: "web" }),
    ]);
    const { owners, logs, resolved } = resolver(reader);
    owners.workloadOf("shop", "a", rs);
    await vi.waitFor(() => expect(resolved).toHaveLength(1), WAIT);
    expect(owners.workloadOf("shop", "a", rs)).toMatchObject({ workload: { kind: "ReplicaSet" }, settled: true });
    await vi.waitFor(() => expect(resolved).toHaveLength(2), WAIT);
    expect(calls()).toBe(4);
    expect(owners.workloadOf("shop", "a", rs).workload).toEqual({ kind: "Deployment", namespace: "shop", name: "web" });
    expect(logs.map((l) => l.level)).toEqual(["warn", "info"]);
  });

  it("does not look up kinds that own their pods, nor pods without controller", () => {
    const { reader, calls } = scriptedReader([]);
    const { owners } = resolver(reader);
    const sts = { ...rs, kind: "StatefulSet", name: "db" };
    expect(owners.workloadOf("shop", "db-0", sts)).toEqual({
      workload: { kind: "StatefulSet", namespace: "shop", name: "db" },
      settled: true,
    });
    expect(owners.workloadOf("shop", "debug", undefined).workload).toEqual({
      kind: "Pod",
      namespace: "shop",
      name: "debug",
    });
    expect(calls()).toBe(0);
  });

  it("forgets a controller no pod names, and looks it up again when one does", async () => {
    const { reader, calls } = scriptedReader([
      () => ({ kind: "Deployment", name: "web" }),
      () => ({ kind: "Deployment", name: "web" }),
    ]);
    const { owners, resolved } = resolver(reader);
    owners.workloadOf("shop", "a", rs);
    await vi.waitFor(() => expect(resolved).toHaveLength(1), WAIT);
    owners.forget("shop/ReplicaSet/web-5d8f");
    expect(owners.workloadOf("shop", "a", rs).settled).toBe(false);
    await vi.waitFor(() => expect(resolved).toHaveLength(2), WAIT);
    expect(calls()).toBe(2);
  });
});
