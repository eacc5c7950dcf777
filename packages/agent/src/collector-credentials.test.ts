import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCollectorCredentials } from "./collector-credentials.js";

let dir: string;
let ca: string;
const pem = (name: string) => {
  const key = join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"].concat([
      "-subj",
      `/CN=${name}`,
      "-keyout",
      key,
      "-out",
      join(dir, `${name}.pem`),
    ]),
    { stdio: "pipe" },
  );
  return join(dir, `${name}.pem`);
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "idl-agent-tls-"));
  ca = join(dir, "ca.crt");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readCollectorCredentials", () => {
  it("waits, naming the file, while the CA is not there, empty, or not a certificate", async () => {
    expect(readCollectorCredentials({ ca })).toEqual({
      kind: "waiting",
      reason: `waiting for the collector's CA at ${ca}: the file is not there yet`,
    });
    await writeFile(ca, "");
    expect(readCollectorCredentials({ ca })).toMatchObject({ reason: expect.stringMatching(/: the file is empty$/) });
    await writeFile(ca, "not pem\n");
    expect(readCollectorCredentials({ ca })).toMatchObject({
      reason: expect.stringMatching(/holds no PEM certificate$/),
    });
  });

  it("gives TLS credentials once the CA is there, with a key that changes when the CA does", async () => {
    const { readFile } = await import("node:fs/promises");
    await writeFile(ca, await readFile(pem("first")));
    const first = readCollectorCredentials({ ca });
    expect(first.kind).toBe("ready");
    expect(readCollectorCredentials({ ca })).toMatchObject({ key: (first as { key: string }).key });
    await writeFile(ca, await readFile(pem("second")));
    const second = readCollectorCredentials({ ca });
    expect(second.kind === "ready" && first.kind === "ready" && second.key !== first.key).toBe(true);
    expect(second.kind === "ready" && second.credentials._isSecure()).toBe(true);
  });
});
