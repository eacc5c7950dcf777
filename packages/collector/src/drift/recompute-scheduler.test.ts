import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RecomputeScheduler } from "./recompute-scheduler.js";

describe("RecomputeScheduler", () => {
  let runs = 0;
  let scheduler: RecomputeScheduler;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    runs = 0;
    scheduler = new RecomputeScheduler(() => {
      runs += 1;
    });
  });
  afterEach(() => {
    scheduler.stop();
    vi.useRealTimers();
  });

  it("recomputes once after a 10 ms lull, however many changes came before it", () => {
    for (let i = 0; i < 5; i++) {
      scheduler.changed();
      vi.advanceTimersByTime(4);
    }
    expect(runs).toBe(0);
    vi.advanceTimersByTime(6);
    expect(runs).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(runs).toBe(1);
  });

  it("waits for a lull twice as long as the last recompute took", () => {
    scheduler.took(300);
    scheduler.changed();
    vi.advanceTimersByTime(599);
    expect(runs).toBe(0);
    vi.advanceTimersByTime(1);
    expect(runs).toBe(1);
  });

  it("changes that never pause are recomputed every 5 s, or five times the last recompute's duration", () => {
    const runsAt: number[] = [];
    scheduler = new RecomputeScheduler(() => runsAt.push(performance.now()));
    const start = performance.now();
    for (let t = 0; t < 12_000; t += 5) {
      scheduler.changed();
      vi.advanceTimersByTime(5);
    }
    expect(runsAt.map((at) => Math.round(at - start))).toEqual([5_000, 10_000]);
    scheduler.stop();
    scheduler = new RecomputeScheduler(() => runsAt.push(performance.now()));
    scheduler.took(2_000);
    runsAt.length = 0;
    const later = performance.now();
    for (let t = 0; t < 12_000; t += 5) {
      scheduler.changed();
      vi.advanceTimersByTime(5);
    }
    expect(runsAt.map((at) => Math.round(at - later))).toEqual([10_000]);
  });

  it("stop cancels the recompute waiting", () => {
    scheduler.changed();
    scheduler.stop();
    vi.advanceTimersByTime(60_000);
    expect(runs).toBe(0);
  });
});
