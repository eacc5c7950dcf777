import { describe, expect, it } from "vitest";
import { durationFlag, integerFlag, parseNodeList, parseSelector, percentFlag, repeatable } from "./flags.js";

describe("flag parsers", () => {
  it("--nodes splits on commas, trims, and adds up when repeated", () => {
    expect(parseNodeList(" a, b,,c ")).toEqual(["a", "b", "c"]);
    expect(parseNodeList("d", ["a"])).toEqual(["a", "d"]);
    expect(() => parseNodeList(" , ")).toThrow(/--nodes needs node names/);
  });

  it("--selector reads label=value pairs, repeated or comma-separated, as Kubernetes labels", () => {
    expect(parseSelector("pool=web, zone=a")).toEqual({ pool: "web", zone: "a" });
    expect(parseSelector("node.kubernetes.io/instance-type=m5.large", { pool: "web" })).toEqual({
      pool: "web",
      "node.kubernetes.io/instance-type": "m5.large",
    });
    expect(parseSelector("gpu=")).toEqual({ gpu: "" });
    expect(parseSelector("pool=web,pool=web")).toEqual({ pool: "web" });
    expect(() => parseSelector("pool")).toThrow(/want label=value/);
    expect(() => parseSelector("=web")).toThrow(/label name "" must be/);
    expect(() => parseSelector("Example.COM/pool=web")).toThrow(/prefix "Example.COM" must be a DNS subdomain/);
    expect(() => parseSelector(`pool=${"x".repeat(64)}`)).toThrow(/label value must be at most 63/);
    expect(() => parseSelector("pool=-web")).toThrow(/label value/);
    expect(() => parseSelector("pool=b", { pool: "a" })).toThrow(/gives pool two values \(a and b\)/);
  });

  it("whole numbers within a range", () => {
    const concurrency = integerFlag("--concurrency", 1);
    expect(concurrency("4")).toBe(4);
    for (const bad of ["0", "1.5", "x", "", "-2", "1e3"]) expect(() => concurrency(bad)).toThrow(/--concurrency/);
    expect(() => integerFlag("--retries", 0, 100)("101")).toThrow(/from 0 to 100/);
  });

  it("percentages from 1 to 99", () => {
    expect(percentFlag("--p")("80")).toBe(80);
    expect(percentFlag("--p")("12.5")).toBe(12.5);
    for (const bad of ["0", "0.5", "100", "80%", "x"])
      expect(() => percentFlag("--p")(bad)).toThrow(/want a percentage/);
  });

  it("positive durations in milliseconds", () => {
    expect(durationFlag("--older-than")("7d")).toBe(7 * 86_400_000);
    expect(durationFlag("--t")("1h30m")).toBe(5_400_000);
    expect(() => durationFlag("--t")("0s")).toThrow(/must be more than 0/);
    expect(() => durationFlag("--t")("5")).toThrow(/--t: invalid duration "5": missing unit/);
    expect(durationFlag("--t")("1.4ms")).toBe(1);
    const perNode = durationFlag("--timeout-per-node", { minMs: 1000, maxMs: 86_400_000 });
    expect(() => perNode("500ms")).toThrow(/must be at least 1s/);
    expect(() => perNode("2d")).toThrow(/must be at most 1d/);
  });

  it("repeatable values keep their order", () => {
    const keep = repeatable("--keep");
    expect(keep("b", keep("a"))).toEqual(["a", "b"]);
    expect(() => keep(" ")).toThrow(/--keep needs a value/);
  });
});
