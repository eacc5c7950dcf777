import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { LintFinding } from "@imagedrift/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../cli-harness.fake.js";
import { createStyle } from "../format/style.js";
import { lintCommand, parseManifests, STDIN_NAME } from "./lint.js";

const FIXTURES = join(fileURLToPath(new URL(".", import.meta.url)), "fixtures", "lint");
const fixture = (name: string) => join(FIXTURES, name);

/** `imagedrift lint` needs no collector: a server that is never asked proves it. */
const env = { IMAGEDRIFT_SERVER: "http://127.0.0.1:9" };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("imagedrift lint FILE...", () => {
  it("exits 1 on :latest with IfNotPresent, with a table and the remedy", async () => {
    const file = fixture("latest-if-not-present.yaml");
    const result = await runCli(["lint", file], { env });
    expect(result).toMatchObject({ code: 1, stderr: "" });
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^FILE:DOC +WORKLOAD +CONTAINER +IMAGE +POLICY +SEVERITY +MESSAGE$/);
    expect(lines[1]).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1 +Deployment/shop/web +web +registry\\.example\\.com/shop/web:latest +IfNotPresent +critical +registry\\.example\\.com/shop/web:latest with imagePullPolicy IfNotPresent: .*"already present on machine"`,
      ),
    );
    expect(lines[2]).toBe(
      "  fix: pin a version and a digest: image: registry.example.com/shop/web:<version>@sha256:…, or set imagePullPolicy: Always",
    );
    expect(lines.at(-2)).toBe("1 finding in 1 document in 1 file: 1 critical");
  });

  it("exits 0 on digest-pinned images", async () => {
    const result = await runCli(["lint", fixture("digest-pinned.yaml")], { env });
    expect(result).toEqual({ code: 0, stdout: "No findings: 1 document in 1 file checked.\n", stderr: "" });
  });

  it("exits 2 on malformed YAML, naming the file and the line, and still lints the other files", async () => {
    const file = fixture("malformed.yaml");
    const result = await runCli(["lint", file, fixture("latest-if-not-present.yaml")], { env });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain("1 finding in 1 document in 1 file: 1 critical");
    expect(result.stderr).toContain(`imagedrift: not linted: ${file}:10:18: Nested mappings are not allowed`);
    expect(result.stderr).toContain("image: nginx: 1.27");
  });

  it("exits 2 when a file cannot be read, or '-' is given twice", async () => {
    const missing = fixture("no-such.yaml");
    const result = await runCli(["lint", missing], { env });
    expect(result).toMatchObject({
      code: 2,
      stderr: `imagedrift: cannot read ${missing}: no such file or directory\n`,
    });
    expect((await runCli(["lint", "-", "-"], { env })).stderr).toContain("'-' (stdin) can be given only once");
    expect((await runCli(["lint"], { env })).code).toBe(2);
  });

  it("reads '-' from stdin", async () => {
    const source = readFileSync(fixture("latest-if-not-present.yaml"), "utf8");
    vi.spyOn(process, "stdin", "get").mockReturnValue(Readable.from([source]) as unknown as typeof process.stdin);
    const result = await runCli(["lint", "-", "-o", "json"], { env });
    expect(result.code).toBe(1);
    const findings = JSON.parse(result.stdout) as LintFinding[];
    expect(findings.map((f) => [f.file, f.document, f.rule])).toEqual([[STDIN_NAME, 1, "latest-if-not-present"]]);
  });

  it("prints the findings as JSON with -o json", async () => {
    const file = fixture("helm-template.yaml");
    const result = await runCli(["lint", file, "-o", "json"], { env });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({
        file,
        document: 3,
        kind: "CronJob",
        namespace: null,
        name: "shop-report",
        container: "report",
        containerType: "container",
        image: "registry.example.com/shop/report:nightly",
        pullPolicy: "Never",
        effectivePullPolicy: "Never",
        severity: "critical",
        rule: "mutable-never",
      }),
      expect.objectContaining({
        document: 2,
        name: "shop-web",
        container: "wait-for-db",
        containerType: "initContainer",
        image: "busybox:1.36",
        pullPolicy: null,
        effectivePullPolicy: "IfNotPresent",
        severity: "warning",
        rule: "mutable-if-not-present",
      }),
    ]);
  });

  it("prints YAML with -o yaml, and an empty list when nothing is found", async () => {
    const result = await runCli(["lint", fixture("digest-pinned.yaml"), "-o", "yaml"], { env });
    expect(result).toMatchObject({ code: 0, stdout: "[]\n" });
  });

  it.each([
    ["latest-always.yaml", [], 0],
    ["latest-always.yaml", ["--fail-on", "info"], 1],
    ["helm-template.yaml", ["--fail-on", "critical"], 1],
    ["rendered", ["--fail-on", "critical"], 0],
    ["rendered", [], 1],
  ])("%s %j exits %i", async (name, flags, code) => {
    expect((await runCli(["lint", fixture(name), ...flags], { env })).code).toBe(code);
  });

  it("refuses an unknown --fail-on", async () => {
    const result = await runCli(["lint", fixture("digest-pinned.yaml"), "--fail-on", "error"], { env });
    expect(result.code).toBe(2);
  });

  it("reads a directory's *.yaml and *.yml files recursively, skipping other files", async () => {
    const result = await runCli(["lint", fixture("rendered"), "-o", "json"], { env });
    const findings = JSON.parse(result.stdout) as LintFinding[];
    expect(findings.map((f) => [f.file, `${f.kind}/${f.namespace}/${f.name}`, f.rule])).toEqual([
      [fixture("rendered/a.yaml"), "DaemonSet/kube-system/node-agent", "mutable-if-not-present"],
    ]);
    const table = await runCli(["lint", fixture("rendered")], { env });
    expect(table.stdout).toContain("1 finding in 2 documents in 2 files: 1 warning");
    expect(table.stdout).toMatch(/IfNotPresent \(default\) +warning/);
  });
});

describe("lintCommand", () => {
  const view = { output: "table" as const, style: createStyle(false), now: new Date(0) };
  const lintStdin = (stdin: string, paths = ["-"]) =>
    lintCommand({ ...view, paths, failOn: "warning", readStdin: async () => stdin });

  it("exits 2 when stdin (or a named file) holds no document, as a failed `helm template |` gives", async () => {
    const empty = await lintStdin("");
    expect(empty.exitCode).toBe(2);
    expect(empty.errors).toBe(
      "imagedrift: not linted: <stdin>: no YAML document in it (did the command before the pipe fail?): nothing was checked\n",
    );
    const comments = await lintStdin("---\n# nothing\n---\n", ["-", fixture("digest-pinned.yaml")]);
    expect(comments.exitCode).toBe(2);
    expect(comments.output).toBe("No findings: 1 document in 2 files checked.\n");
    expect(comments.errors).toMatch(/<stdin>: no YAML document in it/);
  });

  it("reads stdin through the given reader, and marks init containers in the table", async () => {
    const manifest = [
      "# Source: chart/templates/pod.yaml",
      "apiVersion: v1",
      "kind: Pod",
      "metadata: { name: p }",
      "spec:",
      "  initContainers: [{ name: setup, image: 'alpine:3', imagePullPolicy: Never }]",
      `  containers: [{ name: app, image: app@sha256:${"c".repeat(64)} }]`,
      "---",
      "",
    ].join("\n");
    const result = await lintCommand({ ...view, paths: ["-"], failOn: "critical", readStdin: async () => manifest });
    expect(result.exitCode).toBe(1);
    expect(result.output).toMatch(
      /^<stdin>:1 +Pod\/p +init:setup +alpine:3 +Never +critical +alpine:3 with imagePullPolicy Never: /m,
    );
    expect(result.output).toContain("1 finding in 1 document in 1 file: 1 critical");
  });
});

describe("parseManifests", () => {
  it("numbers the documents that hold something, skipping empty ones (bare ---, only comments)", () => {
    const parsed = parseManifests("x.yaml", "---\n# Source: a\n---\nkind: Pod\n---\n\n---\nkind: Service\n");
    expect(parsed).toEqual([
      { file: "x.yaml", index: 1, doc: { kind: "Pod" } },
      { file: "x.yaml", index: 2, doc: { kind: "Service" } },
    ]);
    expect(parseManifests("empty.yaml", "")).toEqual([]);
  });

  it("returns the first error with its line, column and a caret under that column", () => {
    expect(parseManifests("dup.yaml", "kind: Pod\nkind: Job\n")).toBe(
      "dup.yaml:2:1: Map keys must be unique\n  kind: Job\n  ^",
    );
    expect(parseManifests("m.yaml", "spec:\n  containers:\n    - image: nginx: 1\n")).toBe(
      "m.yaml:3:14: Nested mappings are not allowed in compact mappings\n      - image: nginx: 1\n               ^",
    );
  });

  it("keeps the caret on its column in long lines, tab-indented lines and at the end of a document", () => {
    const long = `metadata:\n  annotations: {note: "${"x".repeat(90)}", bad: nginx: 1}\n`;
    const [where = "", text = "", caret = ""] = (parseManifests("long.yaml", long) as string).split("\n");
    const col = Number(/:2:(\d+):/.exec(where)?.[1]);
    expect(col).toBeGreaterThan(80);
    expect(text).toBe(`  ${long.split("\n")[1]}`);
    expect(caret.indexOf("^")).toBe(col + 1);
    const unclosed = parseManifests("open.yaml", "kind: Pod\nspec:\n  containers: [oops\n") as string;
    const [at = "", line = "", mark = ""] = unclosed.split("\n");
    expect(at).toMatch(/^open\.yaml:3:\d+: /);
    expect(line).toBe("    containers: [oops");
    expect(mark).toBe(`  ${" ".repeat("  containers: [oops".length)}^`);
    const tabbed = parseManifests("tab.yaml", "a:\n\tb: c: d\n");
    expect(typeof tabbed).toBe("string");
  });
});
