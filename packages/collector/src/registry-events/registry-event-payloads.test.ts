import { describe, expect, it } from "vitest";
import { MAX_EVENTS_PER_REQUEST, parseRegistryEvents } from "./registry-event-payloads.js";

const DIGEST = `sha256:${"b".repeat(64)}`;

describe("parseRegistryEvents", () => {
  it("reads the distribution envelope: action, host from target.url, repository, tag, digest", () => {
    const parsed = parseRegistryEvents({
      events: [
        {
          id: "1",
          action: "push",
          target: {
            mediaType: "application/vnd.oci.image.index.v1+json",
            digest: DIGEST,
            repository: "team/app",
            url: `http://127.0.0.1:5000/v2/team/app/manifests/${DIGEST}`,
            tag: "latest",
          },
          request: { host: "registry.internal:5000" },
        },
        { action: "pull", target: { repository: "team/app", digest: DIGEST }, request: { host: "r:5000" } },
        { action: "delete", target: { repository: "team/app", tag: "1" }, request: { host: "r:5000" } },
      ],
    });
    expect(parsed).toEqual({
      source: "distribution",
      events: [
        { action: "push", host: "127.0.0.1:5000", repository: "team/app", tag: "latest", digest: DIGEST },
        { action: "other", host: "r:5000", repository: "team/app", tag: null, digest: DIGEST },
        { action: "delete", host: "r:5000", repository: "team/app", tag: "1", digest: null },
      ],
    });
  });

  it("reads Harbor's webhook: one event per resource, host from resource_url", () => {
    const parsed = parseRegistryEvents({
      type: "PUSH_ARTIFACT",
      occur_at: 1,
      operator: "admin",
      event_data: {
        resources: [{ digest: DIGEST, tag: "v2", resource_url: "harbor.example/library/app:v2" }],
        repository: { name: "app", namespace: "library", repo_full_name: "library/app", repo_type: "private" },
      },
    });
    expect(parsed).toEqual({
      source: "harbor",
      events: [{ action: "push", host: "harbor.example", repository: "library/app", tag: "v2", digest: DIGEST }],
    });
    expect(
      parseRegistryEvents({
        type: "DELETE_ARTIFACT",
        event_data: { resources: [], repository: { repo_full_name: "a/b" } },
      }),
    ).toEqual({ source: "harbor", events: [] });
  });

  it("reads Docker Hub's webhook: docker.io, an official name under library/", () => {
    expect(
      parseRegistryEvents({ push_data: { tag: "1.2", pusher: "me" }, repository: { repo_name: "me/app" } }),
    ).toEqual({
      source: "dockerhub",
      events: [{ action: "push", host: "docker.io", repository: "me/app", tag: "1.2", digest: null }],
    });
    expect(
      parseRegistryEvents({ push_data: { tag: "x" }, repository: { repo_name: "nginx" } }).events[0]?.repository,
    ).toBe("library/nginx");
  });

  it.each([
    [null, "the body must be a JSON object"],
    [[], "the body must be a JSON object"],
    [{ hello: 1 }, 'expected "events" (distribution), "event_data" (Harbor) or "push_data" (Docker Hub)'],
    [{ events: {} }, "events must be an array"],
    [{ events: ["x"] }, "events[0] must be an object"],
    [{ events: [{ action: "push" }] }, "events[0].target must be an object"],
    [{ events: [{ action: "push", target: { tag: "1" } }] }, "events[0].target.repository is missing"],
    [{ events: [{ target: { repository: "a" } }] }, "events[0].action is missing"],
    [{ events: [{ action: "push", target: { repository: "a", tag: 3 } }] }, "events[0].target.tag must be a string"],
    [
      { events: [{ action: "push", target: { repository: "a" }, request: "x" }] },
      "events[0].request must be an object",
    ],
    [{ type: "PUSH_ARTIFACT", event_data: { resources: [] } }, "event_data.repository must be an object"],
    [{ type: "PUSH_ARTIFACT", event_data: [] }, "event_data must be an object"],
    [{ event_data: { resources: [], repository: { repo_full_name: "a" } } }, "type is missing"],
    [{ push_data: { tag: "1" }, repository: {} }, "repository.repo_name is missing"],
    [{ push_data: {}, repository: { repo_name: "a/b" } }, "push_data.tag is missing"],
  ])("refuses %j naming the problem", (body, message) => {
    expect(() => parseRegistryEvents(body)).toThrow(message);
  });

  it("refuses more events than a request may carry", () => {
    const event = { action: "push", target: { repository: "a", tag: "1" } };
    const events = Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, () => event);
    expect(() => parseRegistryEvents({ events })).toThrow(`at most ${MAX_EVENTS_PER_REQUEST} per request`);
  });
});
