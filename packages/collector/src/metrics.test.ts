import type { Finding } from "@imagedrift/core";
import { describe, expect, it } from "vitest";
import { type ClusterState, CollectorMetrics } from "./metrics.js";

function stateOf(nodes: [string, string][], tags: [string, number, number][]): ClusterState {
  return {
    nodes: () => nodes.map(([name, lastReportAt]) => ({ name, lastReportAt })),
    missing: () => new Set<string>(),
    tags: () => tags.map(([tag, distinct, staleNodes]) => [tag, { distinct, staleNodes }] as const),
    findings: (): Finding[] => [],
  };
}

/** The sample lines of one metric in the exposition text. */
async function samples(metrics: CollectorMetrics, name: string): Promise<string[]> {
  const text = await metrics.registry.metrics();
  return text.split("\n").filter((line) => line.startsWith(`${name}{`));
}

describe("CollectorMetrics per-node and per-tag gauges", () => {
  it("follow the state from scrape to scrape: values move, series of gone nodes and tags disappear", async () => {
    const metrics = new CollectorMetrics({ processMetrics: false });
    metrics.watch(
      stateOf(
        [
          ["n1", "2026-01-01T00:00:00.000Z"],
          ["n2", "2026-01-01T00:00:10.000Z"],
        ],
        [
          ["reg.example/app:1", 2, 1],
          ["reg.example/app:2", 1, 0],
        ],
      ),
    );
    expect(await samples(metrics, "imagedrift_node_last_report_timestamp_seconds")).toEqual([
      'imagedrift_node_last_report_timestamp_seconds{node="n1"} 1767225600',
      'imagedrift_node_last_report_timestamp_seconds{node="n2"} 1767225610',
    ]);
    metrics.watch(stateOf([["n2", "2026-01-01T00:01:10.000Z"]], [["reg.example/app:2", 3, 2]]));
    expect(await samples(metrics, "imagedrift_node_last_report_timestamp_seconds")).toEqual([
      'imagedrift_node_last_report_timestamp_seconds{node="n2"} 1767225670',
    ]);
    expect(await samples(metrics, "imagedrift_tag_distinct_digests")).toEqual([
      'imagedrift_tag_distinct_digests{image="reg.example/app",tag="2"} 3',
    ]);
    expect(await samples(metrics, "imagedrift_tag_stale_nodes")).toEqual([
      'imagedrift_tag_stale_nodes{image="reg.example/app",tag="2"} 2',
    ]);
  });
});

describe("CollectorMetrics per-tag series", () => {
  it("exist only for tags that need attention; unlabelled totals count them", async () => {
    const metrics = new CollectorMetrics({ processMetrics: false });
    const healthy = Array.from({ length: 50 }, (_, i) => [`reg.example/ok${i}:1`, 1, 0] as [string, number, number]);
    metrics.watch(
      stateOf(
        [["n1", "2026-01-01T00:00:00.000Z"]],
        [...healthy, ["reg.example/split:1", 2, 1], ["reg.example/behind:1", 1, 3]],
      ),
    );
    expect(await samples(metrics, "imagedrift_tag_distinct_digests")).toEqual([
      'imagedrift_tag_distinct_digests{image="reg.example/split",tag="1"} 2',
    ]);
    expect(await samples(metrics, "imagedrift_tag_stale_nodes")).toEqual([
      'imagedrift_tag_stale_nodes{image="reg.example/split",tag="1"} 1',
      'imagedrift_tag_stale_nodes{image="reg.example/behind",tag="1"} 3',
    ]);
    const text = await metrics.registry.metrics();
    expect(text).toContain("\nimagedrift_tags_inconsistent 1\n");
    expect(text).toContain("\nimagedrift_stale_tags 2\n");
    expect(text).toMatch(/# HELP imagedrift_tag_stale_nodes .*only for tags with a stale node/);
  });
});
