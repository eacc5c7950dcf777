import { afterEach, describe, expect, it } from "vitest";
import { RegistryAuthHealth } from "./auth-health.js";
import { errorReply, type FakeServer, manifestBody, manifestReply, startFakeServer } from "./fake-registry.fake.js";
import { TagResolver } from "./resolver.js";

const manifest = manifestBody("auth-health");
let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
});

describe("auth failures: the tag stays unresolved with the reason, and the registry is reported", () => {
  it.each([
    [401, "UNAUTHORIZED", "unauthenticated", "needs credentials and none are configured"],
    [403, "DENIED", "denied", "access denied"],
  ] as const)("%i → unresolved (never missing or stale), reason %s", async (status, code, reason, words) => {
    let answer: number = status;
    server = await startFakeServer(() =>
      answer === 200 ? manifestReply(manifest) : errorReply(answer, code, { "www-authenticate": 'Basic realm="r"' }),
    );
    const health = new RegistryAuthHealth();
    const counted: string[] = [];
    const resolver = new TagResolver({
      resolveIntervalMs: 1,
      onAuth: (registry, failure) => {
        if (failure === null) return health.succeeded(registry);
        counted.push(`${registry} ${failure.reason}`);
        health.failed({ registry, ...failure }, "2026-01-01T00:00:00.000Z");
      },
    });
    const tag = `${server.host}/team/app:1`;
    const result = await resolver.askNow(tag);
    expect(result.state).toBe("error");
    expect(result.state === "error" && result.error).toContain(words);
    expect(counted).toEqual([`${server.host} ${reason}`]);
    expect(health.problems()).toEqual([
      { registry: server.host, reason, error: expect.stringContaining(words), since: "2026-01-01T00:00:00.000Z" },
    ]);

    answer = 200;
    expect(await resolver.askNow(tag)).toMatchObject({ state: "found" });
    expect(health.problems()).toEqual([]);
  });
});
