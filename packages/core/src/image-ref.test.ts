import { describe, expect, it } from "vitest";
import { ImagedriftError } from "./errors.js";
import {
  familiarName,
  formatImageRef,
  isDigest,
  isLoopbackHost,
  normalizeImageRef,
  parseImageRef,
  parseRepoDigest,
  registryApiHost,
  repositoryOf,
  tagOf,
  tagOfReference,
  tryParseImageRef,
} from "./image-ref.js";

const D = `sha256:${"a".repeat(64)}`;
const D2 = `sha256:${"0123456789abcdef".repeat(4)}`;

interface ValidCase {
  input: string;
  host: string;
  repository: string;
  tag: string | null;
  digest: string | null;
  normalized: string;
}

const valid: ValidCase[] = [
  {
    input: "nginx",
    host: "docker.io",
    repository: "library/nginx",
    tag: "latest",
    digest: null,
    normalized: "docker.io/library/nginx:latest",
  },
  {
    input: "nginx:1.25",
    host: "docker.io",
    repository: "library/nginx",
    tag: "1.25",
    digest: null,
    normalized: "docker.io/library/nginx:1.25",
  },
  {
    input: "library/nginx",
    host: "docker.io",
    repository: "library/nginx",
    tag: "latest",
    digest: null,
    normalized: "docker.io/library/nginx:latest",
  },
  {
    input: "user/app",
    host: "docker.io",
    repository: "user/app",
    tag: "latest",
    digest: null,
    normalized: "docker.io/user/app:latest",
  },
  {
    input: "myuser/app:1",
    host: "docker.io",
    repository: "myuser/app",
    tag: "1",
    digest: null,
    normalized: "docker.io/myuser/app:1",
  },
  {
    input: "a/b/c",
    host: "docker.io",
    repository: "a/b/c",
    tag: "latest",
    digest: null,
    normalized: "docker.io/a/b/c:latest",
  },
  {
    input: "docker.io/nginx",
    host: "docker.io",
    repository: "library/nginx",
    tag: "latest",
    digest: null,
    normalized: "docker.io/library/nginx:latest",
  },
  {
    input: "docker.io/library/nginx:1.25",
    host: "docker.io",
    repository: "library/nginx",
    tag: "1.25",
    digest: null,
    normalized: "docker.io/library/nginx:1.25",
  },
  {
    input: "index.docker.io/library/nginx",
    host: "docker.io",
    repository: "library/nginx",
    tag: "latest",
    digest: null,
    normalized: "docker.io/library/nginx:latest",
  },
  {
    input: "index.docker.io/nginx",
    host: "docker.io",
    repository: "library/nginx",
    tag: "latest",
    digest: null,
    normalized: "docker.io/library/nginx:latest",
  },
  {
    input: "localhost/app",
    host: "localhost",
    repository: "app",
    tag: "latest",
    digest: null,
    normalized: "localhost/app:latest",
  },
  {
    input: "localhost:5000/x",
    host: "localhost:5000",
    repository: "x",
    tag: "latest",
    digest: null,
    normalized: "localhost:5000/x:latest",
  },
  {
    input: "localhost:5000/x:v2",
    host: "localhost:5000",
    repository: "x",
    tag: "v2",
    digest: null,
    normalized: "localhost:5000/x:v2",
  },
  {
    input: "127.0.0.1:5000/demo/app:latest",
    host: "127.0.0.1:5000",
    repository: "demo/app",
    tag: "latest",
    digest: null,
    normalized: "127.0.0.1:5000/demo/app:latest",
  },
  {
    input: "registry.example.com/a/b/c:v1",
    host: "registry.example.com",
    repository: "a/b/c",
    tag: "v1",
    digest: null,
    normalized: "registry.example.com/a/b/c:v1",
  },
  {
    input: "registry.example.com:443/app",
    host: "registry.example.com:443",
    repository: "app",
    tag: "latest",
    digest: null,
    normalized: "registry.example.com:443/app:latest",
  },
  {
    input: "example:5000/app",
    host: "example:5000",
    repository: "app",
    tag: "latest",
    digest: null,
    normalized: "example:5000/app:latest",
  },
  {
    input: "Registry.Example.COM/app",
    host: "Registry.Example.COM",
    repository: "app",
    tag: "latest",
    digest: null,
    normalized: "Registry.Example.COM/app:latest",
  },
  {
    input: "[::1]:5000/app",
    host: "[::1]:5000",
    repository: "app",
    tag: "latest",
    digest: null,
    normalized: "[::1]:5000/app:latest",
  },
  {
    input: "[2001:db8::1]/team/app:1.0",
    host: "[2001:db8::1]",
    repository: "team/app",
    tag: "1.0",
    digest: null,
    normalized: "[2001:db8::1]/team/app:1.0",
  },
  {
    input: "ghcr.io/org/app",
    host: "ghcr.io",
    repository: "org/app",
    tag: "latest",
    digest: null,
    normalized: "ghcr.io/org/app:latest",
  },
  {
    input: `nginx@${D}`,
    host: "docker.io",
    repository: "library/nginx",
    tag: null,
    digest: D,
    normalized: `docker.io/library/nginx@${D}`,
  },
  {
    input: `nginx:1.25@${D}`,
    host: "docker.io",
    repository: "library/nginx",
    tag: "1.25",
    digest: D,
    normalized: `docker.io/library/nginx@${D}`,
  },
  {
    input: `127.0.0.1:5000/demo/app@${D2}`,
    host: "127.0.0.1:5000",
    repository: "demo/app",
    tag: null,
    digest: D2,
    normalized: `127.0.0.1:5000/demo/app@${D2}`,
  },
  {
    input: `localhost:5000/x:v1@${D}`,
    host: "localhost:5000",
    repository: "x",
    tag: "v1",
    digest: D,
    normalized: `localhost:5000/x@${D}`,
  },
  {
    input: `quay.io/a/b@sha512:${"b".repeat(128)}`,
    host: "quay.io",
    repository: "a/b",
    tag: null,
    digest: `sha512:${"b".repeat(128)}`,
    normalized: `quay.io/a/b@sha512:${"b".repeat(128)}`,
  },
  {
    input: "my-app_v2.x__y---z:Tag_1.0-rc.1",
    host: "docker.io",
    repository: "library/my-app_v2.x__y---z",
    tag: "Tag_1.0-rc.1",
    digest: null,
    normalized: "docker.io/library/my-app_v2.x__y---z:Tag_1.0-rc.1",
  },
  {
    input: `nginx:${"t".repeat(128)}`,
    host: "docker.io",
    repository: "library/nginx",
    tag: "t".repeat(128),
    digest: null,
    normalized: `docker.io/library/nginx:${"t".repeat(128)}`,
  },
  {
    input: "nginx:_private",
    host: "docker.io",
    repository: "library/nginx",
    tag: "_private",
    digest: null,
    normalized: "docker.io/library/nginx:_private",
  },
  // Docker quirk kept: without a '/', "localhost:5000" is the official image "localhost" with tag "5000".
  {
    input: "localhost:5000",
    host: "docker.io",
    repository: "library/localhost",
    tag: "5000",
    digest: null,
    normalized: "docker.io/library/localhost:5000",
  },
  // A bare "foo.com" is a Docker Hub name, as in docker.
  {
    input: "example.com",
    host: "docker.io",
    repository: "library/example.com",
    tag: "latest",
    digest: null,
    normalized: "docker.io/library/example.com:latest",
  },
];

const invalid: Array<{ input: string; rule: string }> = [
  { input: "", rule: "reference must not be empty" },
  { input: "Foo/bar", rule: "repository name must be lowercase" },
  { input: "nginx/Sub:1", rule: "repository name must be lowercase" },
  { input: "localhost:5000/App", rule: "repository name must be lowercase" },
  { input: "nginx:", rule: "tag must not be empty (trailing ':')" },
  { input: "localhost:5000/app:", rule: "tag must not be empty (trailing ':')" },
  { input: "nginx:-bad", rule: 'invalid tag "-bad"' },
  { input: "nginx:.bad", rule: 'invalid tag ".bad"' },
  { input: "nginx:a+b", rule: 'invalid tag "a+b"' },
  { input: `nginx:${"t".repeat(129)}`, rule: "tag must not be more than 128 characters" },
  { input: "nginx@", rule: "digest must not be empty" },
  { input: "nginx@sha256", rule: "invalid digest format: want algorithm:hex" },
  { input: "nginx@sha256:abc", rule: "invalid digest format: want at least 32 hex digits" },
  { input: `nginx@sha256:${"A".repeat(64)}`, rule: "invalid sha256 digest: must be exactly 64 lowercase hex digits" },
  { input: `nginx@sha256:${"a".repeat(63)}`, rule: "invalid sha256 digest: must be exactly 64 lowercase hex digits" },
  { input: `nginx@sha256:${"a".repeat(65)}`, rule: "invalid sha256 digest: must be exactly 64 lowercase hex digits" },
  { input: `nginx@1sha:${"a".repeat(64)}`, rule: 'invalid digest format: bad algorithm "1sha"' },
  { input: `nginx@sha256:${"g".repeat(64)}`, rule: "invalid digest format: want at least 32 hex digits" },
  { input: `nginx@md5:${"a".repeat(32)}`, rule: 'unsupported digest algorithm "md5"' },
  { input: `nginx@${D}@${D}`, rule: "invalid digest format" },
  { input: "a".repeat(64), rule: "cannot specify 64-byte hexadecimal strings" },
  { input: D, rule: "a bare digest is an image id, not a reference" },
  { input: `docker.io/${"a".repeat(256)}`, rule: "repository name must not be more than 255 characters" },
  { input: `${"a/".repeat(128)}a`, rule: "repository name must not be more than 255 characters" },
  { input: "a//b", rule: "repository name must not contain empty path components" },
  { input: "/nginx", rule: "repository name must not contain empty path components" },
  { input: "nginx/", rule: "repository name must not contain empty path components" },
  { input: "localhost/", rule: "repository name must not be empty" },
  { input: "localhost:5000/a//b:1", rule: "repository name must not contain empty path components" },
  { input: "a..b", rule: 'invalid path component "a..b"' },
  { input: "a___b", rule: 'invalid path component "a___b"' },
  { input: "a._b", rule: 'invalid path component "a._b"' },
  { input: "-nginx", rule: 'invalid path component "-nginx"' },
  { input: "nginx_", rule: 'invalid path component "nginx_"' },
  { input: "my app", rule: 'invalid path component "my app"' },
  { input: "nginx::1", rule: 'invalid path component "nginx:"' },
  { input: "a/b:c/d", rule: 'invalid path component "b:c"' },
  { input: "localhost:5000:tag", rule: 'invalid path component "localhost:5000"' },
  { input: "localhost:abc/app", rule: 'invalid registry port in "localhost:abc"' },
  { input: "localhost:/app", rule: 'invalid registry port in "localhost:"' },
  { input: ":5000/app", rule: 'invalid registry host ":5000": empty host name' },
  { input: "-bad.com/app", rule: 'invalid registry host "-bad.com"' },
  { input: "bad-.com/app", rule: 'invalid registry host "bad-.com"' },
  { input: "a..com/app", rule: 'invalid registry host "a..com"' },
  { input: "foo_bar.com/app", rule: 'invalid registry host "foo_bar.com"' },
  { input: "::1/app", rule: 'invalid registry host "::1"' },
  { input: "[::1/app", rule: 'invalid registry host "[::1": unterminated IPv6 address' },
  { input: "[zz::1]:5000/app", rule: 'invalid registry host "[zz::1]:5000": bad IPv6 address' },
  { input: "[::1]5000/app", rule: 'invalid registry host "[::1]5000"' },
  { input: ":tag", rule: "repository name must not be empty" },
  { input: `@${D}`, rule: "repository name must not be empty" },
  { input: "docker.io/", rule: "repository name must not be empty" },
];

describe("parseImageRef: valid references", () => {
  it.each(valid)("$input", ({ input, host, repository, tag, digest, normalized }) => {
    const ref = parseImageRef(input);
    expect(ref).toEqual({ host, repository, tag, digest });
    expect(formatImageRef(ref)).toBe(normalized);
    expect(normalizeImageRef(input)).toBe(normalized);
    expect(tryParseImageRef(input)).toEqual(ref);
    // Normalisation is idempotent.
    expect(normalizeImageRef(normalized)).toBe(normalized);
  });
});

describe("parseImageRef: invalid references", () => {
  it.each(invalid)("$input", ({ input, rule }) => {
    let thrown: unknown;
    try {
      parseImageRef(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ImagedriftError);
    const error = thrown as ImagedriftError;
    expect(error.code).toBe("invalid-reference");
    expect(error.message).toContain(`invalid reference ${JSON.stringify(input)}: `);
    expect(error.message).toContain(rule);
    expect(tryParseImageRef(input)).toBeNull();
  });

  it("names the reference and the rule", () => {
    expect(() => parseImageRef("Foo/bar")).toThrow('invalid reference "Foo/bar": repository name must be lowercase');
  });
});

describe("derived forms", () => {
  it.each([
    ["nginx", "docker.io/library/nginx:latest", "docker.io/library/nginx", "nginx:latest"],
    ["myuser/app:1", "docker.io/myuser/app:1", "docker.io/myuser/app", "myuser/app:1"],
    ["library/a/b:2", "docker.io/library/a/b:2", "docker.io/library/a/b", "library/a/b:2"],
    ["localhost:5000/x", "localhost:5000/x:latest", "localhost:5000/x", "localhost:5000/x:latest"],
    [`nginx@${D}`, null, "docker.io/library/nginx", `nginx@${D}`],
    [`nginx:1.25@${D}`, "docker.io/library/nginx:1.25", "docker.io/library/nginx", `nginx@${D}`],
    [
      "registry.example.com/a/b/c:v1",
      "registry.example.com/a/b/c:v1",
      "registry.example.com/a/b/c",
      "registry.example.com/a/b/c:v1",
    ],
  ] as const)("%s", (input, tag, repository, familiar) => {
    const ref = parseImageRef(input);
    expect(tagOf(ref)).toBe(tag);
    expect(repositoryOf(ref)).toBe(repository);
    expect(familiarName(ref)).toBe(familiar);
  });

  it("formats a hand-made ref without tag or digest as :latest", () => {
    expect(formatImageRef({ host: "docker.io", repository: "library/nginx", tag: null, digest: null })).toBe(
      "docker.io/library/nginx:latest",
    );
  });
});

describe("tagOfReference", () => {
  it("gives the tag a reference asks a registry for; null when pinned by digest or invalid", () => {
    expect(tagOfReference("nginx")).toBe("docker.io/library/nginx:latest");
    expect(tagOfReference("reg.example:5000/team/app:1.2")).toBe("reg.example:5000/team/app:1.2");
    expect(tagOfReference(`app:1@sha256:${"a".repeat(64)}`)).toBeNull();
    expect(tagOfReference("UPPER/case")).toBeNull();
    expect(tagOfReference("")).toBeNull();
  });
});

describe("registryApiHost", () => {
  it.each([
    ["docker.io", "registry-1.docker.io"],
    ["localhost:5000", "localhost:5000"],
    ["ghcr.io", "ghcr.io"],
    ["[::1]:5000", "[::1]:5000"],
  ])("%s → %s", (host, api) => {
    expect(registryApiHost(host)).toBe(api);
  });
});

describe("isDigest", () => {
  it.each([
    [D, true],
    [D2, true],
    [`sha384:${"c".repeat(96)}`, true],
    [`sha512:${"c".repeat(128)}`, true],
    [`sha256:${"A".repeat(64)}`, false],
    [`sha256:${"a".repeat(63)}`, false],
    [`md5:${"a".repeat(32)}`, false],
    ["a".repeat(64), false],
    ["sha256:", false],
    ["", false],
    [`nginx@${D}`, false],
  ])("%s → %s", (s, expected) => {
    expect(isDigest(s)).toBe(expected);
  });
});

describe("parseRepoDigest", () => {
  it.each([
    [`127.0.0.1:5000/demo/app@${D}`, { repository: "127.0.0.1:5000/demo/app", digest: D }],
    [`docker.io/library/nginx@${D}`, { repository: "docker.io/library/nginx", digest: D }],
    [`nginx@${D}`, { repository: "docker.io/library/nginx", digest: D }],
    [`index.docker.io/user/app@${D2}`, { repository: "docker.io/user/app", digest: D2 }],
    ["docker.io/library/nginx:latest", null],
    [`Bad/Name@${D}`, null],
    ["nginx@sha256:abc", null],
    ["", null],
  ])("%s", (s, expected) => {
    expect(parseRepoDigest(s)).toEqual(expected);
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["localhost", true],
    ["localhost:5000", true],
    ["LOCALHOST", true],
    ["127.0.0.1", true],
    ["127.0.0.1:5000", true],
    ["127.255.3.4:80", true],
    ["[::1]", true],
    ["[::1]:5000", true],
    ["[0:0:0:0:0:0:0:1]:5000", true],
    ["::1", true],
    ["128.0.0.1", false],
    ["127.0.0.256", false],
    ["127.0.0", false],
    ["10.0.0.1:5000", false],
    ["docker.io", false],
    ["localhost.example.com", false],
    ["[::2]:5000", false],
    ["[::]", false],
    ["[::1]x", false],
    ["localhost:abc", false],
    ["", false],
  ])("%s → %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
