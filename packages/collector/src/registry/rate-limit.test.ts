import { describe, expect, it } from "vitest";
import { FakeClock, settle } from "./clock.fake.js";
import { RateLimiter } from "./rate-limit.js";

/** A task that stays open until the test finishes it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe("RateLimiter", () => {
  it("lets a burst of requestsPerSecond through at once, then one every 1/rate seconds", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 10, maxConcurrent: 100, clock });
    const started: number[] = [];
    const runs = Array.from({ length: 15 }, () => limiter.run(async () => void started.push(clock.now())));
    await settle();
    expect(started).toHaveLength(10);
    await clock.advance(99);
    expect(started).toHaveLength(10);
    await clock.advance(1);
    expect(started).toHaveLength(11);
    await clock.advance(400);
    await Promise.all(runs);
    const t0 = started[0] ?? 0;
    expect(started.map((t) => t - t0)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200, 300, 400, 500]);
  });

  it("refills the bucket over idle time, never beyond the burst", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 2, maxConcurrent: 10, clock });
    const started: number[] = [];
    const task = async () => void started.push(clock.now());
    await Promise.all([limiter.run(task), limiter.run(task)]);
    await clock.advance(60_000);
    const runs = [limiter.run(task), limiter.run(task), limiter.run(task)];
    await settle();
    expect(started).toHaveLength(4); // 2 earlier + a full bucket of 2
    await clock.advance(500);
    await Promise.all(runs);
    expect(started).toHaveLength(5);
  });

  it("keeps at most maxConcurrent tasks in flight, first come first served", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1000, maxConcurrent: 4, clock });
    const gates = Array.from({ length: 6 }, () => gate());
    const order: number[] = [];
    const runs = gates.map((g, i) =>
      limiter.run(async () => {
        order.push(i);
        await g.promise;
      }),
    );
    await settle();
    expect(limiter.active).toBe(4);
    expect(limiter.queued).toBe(2);
    expect(order).toEqual([0, 1, 2, 3]);
    gates[2]?.open();
    await settle();
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(limiter.active).toBe(4);
    for (const g of gates) g.open();
    await Promise.all(runs);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(limiter.active).toBe(0);
  });

  it("frees the slot when a task throws", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 100, maxConcurrent: 1, clock });
    await expect(limiter.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(limiter.run(async () => 42)).resolves.toBe(42);
    expect(limiter.active).toBe(0);
  });

  it("drops a waiter whose signal aborts", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 100, maxConcurrent: 1, clock });
    const g = gate();
    const first = limiter.run(() => g.promise);
    const controller = new AbortController();
    const second = limiter.run(async () => "ran", controller.signal);
    await settle();
    expect(limiter.queued).toBe(1);
    controller.abort(new Error("gave up"));
    await expect(second).rejects.toThrow("gave up");
    expect(limiter.queued).toBe(0);
    g.open();
    await first;
    expect(limiter.active).toBe(0);
  });

  it("rejects nonsense limits", () => {
    const clock = new FakeClock();
    expect(() => new RateLimiter({ requestsPerSecond: 0, maxConcurrent: 1, clock })).toThrow(/requestsPerSecond/);
    expect(() => new RateLimiter({ requestsPerSecond: 1, maxConcurrent: 0, clock })).toThrow(/maxConcurrent/);
  });
});
