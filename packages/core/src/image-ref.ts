/**
 * Container image references, parsed and normalised the way containerd and
 * Docker do it (the grammar of github.com/distribution/reference, docs/ARCHITECTURE.md#image-references):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path
 *   domain     := host [ ":" port ]          host: DNS-ish name, IPv4, or [IPv6]
 *   path       := component [ "/" component ]*
 *   component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [\w][\w.-]{0,127}
 *   digest     := algorithm ":" hex
 *
 * Normalisation: the first path component is a registry host only when it
 * contains "." or ":" or is "localhost" (otherwise the host is docker.io);
 * index.docker.io becomes docker.io; single-component Docker Hub names get
 * "library/"; a reference without tag and digest gets ":latest"; with both a
 * tag and a digest, the digest identifies the image.
 */
import { ImagedriftError } from "./errors.js";

export interface ImageRef {
  /** Registry host as written after normalisation: `docker.io`, `localhost:5000`, `[::1]:5000`. */
  host: string;
  /** Repository path inside the registry, e.g. `library/nginx`. */
  repository: string;
  /** The tag; `latest` when the reference had neither tag nor digest; null for a digest-only reference. */
  tag: string | null;
  /** `algorithm:hex`, or null. */
  digest: string | null;
}

const DOCKER_HUB = "docker.io";
const DOCKER_HUB_LEGACY = "index.docker.io";
const DOCKER_HUB_API = "registry-1.docker.io";
const OFFICIAL_PREFIX = "library/";
const DEFAULT_TAG = "latest";
/** distribution/reference's RepositoryNameTotalLengthMax, applied to the normalised repository path. */
const MAX_REPOSITORY_LENGTH = 255;
const MAX_TAG_LENGTH = 128;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const IPV6_BRACKETED = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_ALGORITHM = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*$/;
const HEX = /^[0-9a-fA-F]{32,}$/;
/** A bare image id: docker refuses it as a repository name because it is ambiguous with an id. */
const IDENTIFIER = /^[a-f0-9]{64}$/;

/**
 * The digest algorithms containerd and Docker accept (those go-digest registers),
 * with the exact length of their lowercase hex encoding.
 */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

function invalid(input: string, rule: string): ImagedriftError {
  return new ImagedriftError("invalid-reference", `invalid reference ${JSON.stringify(input)}: ${rule}`);
}

/** Returns the rule the digest breaks, or null when it is valid. */
function digestProblem(digest: string): string | null {
  if (digest === "") return "digest must not be empty";
  const colon = digest.indexOf(":");
  if (colon < 0) return "invalid digest format: want algorithm:hex";
  const algorithm = digest.slice(0, colon);
  const encoded = digest.slice(colon + 1);
  if (!DIGEST_ALGORITHM.test(algorithm)) return `invalid digest format: bad algorithm ${JSON.stringify(algorithm)}`;
  if (!HEX.test(encoded)) return "invalid digest format: want at least 32 hex digits after the algorithm";
  const length = Object.hasOwn(DIGEST_HEX_LENGTH, algorithm) ? DIGEST_HEX_LENGTH[algorithm] : undefined;
  if (length === undefined) return `unsupported digest algorithm ${JSON.stringify(algorithm)}`;
  if (encoded.length !== length || encoded !== encoded.toLowerCase()) {
    return `invalid ${algorithm} digest: must be exactly ${length} lowercase hex digits`;
  }
  return null;
}

/** Returns the rule the registry host (with optional port) breaks, or null when it is valid. */
function domainProblem(domain: string): string | null {
  let host: string;
  let port: string | null = null;
  if (domain.startsWith("[")) {
    const close = domain.indexOf("]");
    if (close < 0) return `invalid registry host ${JSON.stringify(domain)}: unterminated IPv6 address`;
    host = domain.slice(0, close + 1);
    const rest = domain.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return `invalid registry host ${JSON.stringify(domain)}`;
      port = rest.slice(1);
    }
    if (!IPV6_BRACKETED.test(host)) return `invalid registry host ${JSON.stringify(domain)}: bad IPv6 address`;
  } else {
    const colon = domain.indexOf(":");
    host = colon < 0 ? domain : domain.slice(0, colon);
    if (colon >= 0) port = domain.slice(colon + 1);
    if (host === "") return `invalid registry host ${JSON.stringify(domain)}: empty host name`;
    if (!host.split(".").every((c) => DOMAIN_COMPONENT.test(c))) {
      return `invalid registry host ${JSON.stringify(domain)}: host name components are letters, digits and inner dashes separated by single dots`;
    }
  }
  if (port !== null && !PORT.test(port)) {
    return `invalid registry port in ${JSON.stringify(domain)}: must be digits`;
  }
  return null;
}

/** Returns the rule the repository path breaks, or null when it is valid. */
function pathProblem(path: string): string | null {
  if (path === "") return "repository name must not be empty";
  const components = path.split("/");
  if (components.some((c) => c !== c.toLowerCase() && PATH_COMPONENT.test(c.toLowerCase()))) {
    return "repository name must be lowercase";
  }
  for (const component of components) {
    if (component === "")
      return "repository name must not contain empty path components (leading, trailing or double '/')";
    if (!PATH_COMPONENT.test(component)) {
      return `invalid path component ${JSON.stringify(component)}: must be lowercase letters and digits separated by one '.', one or two '_', or dashes`;
    }
  }
  if (path.length > MAX_REPOSITORY_LENGTH) {
    return `repository name must not be more than ${MAX_REPOSITORY_LENGTH} characters`;
  }
  return null;
}

function tagProblem(tag: string): string | null {
  if (tag === "") return "tag must not be empty (trailing ':')";
  if (tag.length > MAX_TAG_LENGTH) return `tag must not be more than ${MAX_TAG_LENGTH} characters`;
  if (!TAG.test(tag)) {
    return `invalid tag ${JSON.stringify(tag)}: must start with a letter, digit or '_' followed by letters, digits, '_', '.' or '-'`;
  }
  return null;
}

/** Parses and normalises an image reference; throws ImagedriftError("invalid-reference") naming the rule broken. */
export function parseImageRef(input: string): ImageRef {
  if (input === "") throw invalid(input, "reference must not be empty");
  if (IDENTIFIER.test(input)) {
    throw invalid(input, "cannot specify 64-byte hexadecimal strings (ambiguous with an image id)");
  }

  // A digest may contain ':' but never '@' or '/', and nothing before it does either.
  let rest = input;
  let digest: string | null = null;
  const at = input.indexOf("@");
  if (at >= 0) {
    digest = input.slice(at + 1);
    rest = input.slice(0, at);
    const problem = digestProblem(digest);
    if (problem !== null) throw invalid(input, problem);
  } else if (!rest.includes("/") && isDigest(rest)) {
    // docker would read "sha256:<hex>" as docker.io/library/sha256:<hex>; it is always an image id in practice.
    throw invalid(input, "a bare digest is an image id, not a reference");
  }

  // The tag follows the last ':' after the last '/' (a ':' before that belongs to the host's port).
  let tag: string | null = null;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    const problem = tagProblem(tag);
    if (problem !== null) throw invalid(input, problem);
  }

  let host = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first === "localhost" || first.includes(".") || first.includes(":")) {
      const problem = domainProblem(first);
      if (problem !== null) throw invalid(input, problem);
      host = first === DOCKER_HUB_LEGACY ? DOCKER_HUB : first;
      repository = rest.slice(slash + 1);
    }
  }
  if (host === DOCKER_HUB && repository !== "" && !repository.includes("/")) {
    repository = OFFICIAL_PREFIX + repository;
  }
  const problem = pathProblem(repository);
  if (problem !== null) throw invalid(input, problem);

  if (tag === null && digest === null) tag = DEFAULT_TAG;
  return { host, repository, tag, digest };
}

/** Like parseImageRef, but returns null for an invalid reference. */
export function tryParseImageRef(input: string): ImageRef | null {
  try {
    return parseImageRef(input);
  } catch (error) {
    if (error instanceof ImagedriftError && error.code === "invalid-reference") return null;
    throw error;
  }
}

/** `host/repository`. */
export function repositoryOf(ref: ImageRef): string {
  return `${ref.host}/${ref.repository}`;
}

/**
 * The normalised form: `host/repository@digest` when there is a digest (a tag
 * next to it is dropped), else `host/repository:tag` (`:latest` when the tag is null).
 */
export function formatImageRef(ref: ImageRef): string {
  if (ref.digest !== null) return `${repositoryOf(ref)}@${ref.digest}`;
  return `${repositoryOf(ref)}:${ref.tag ?? DEFAULT_TAG}`;
}

/** `format(parse(input))`; throws like parseImageRef. */
export function normalizeImageRef(input: string): string {
  return formatImageRef(parseImageRef(input));
}

/** The tag identity `host/repository:tag`, or null when the reference has no tag. */
export function tagOf(ref: ImageRef): string | null {
  return ref.tag === null ? null : `${repositoryOf(ref)}:${ref.tag}`;
}

/**
 * The tag a reference asks a registry for (`host/repository:tag`): null when
 * it is invalid or pinned by digest (`app:1@sha256:…` asks for the digest, not the tag).
 */
export function tagOfReference(reference: string): string | null {
  const ref = tryParseImageRef(reference);
  return ref === null || ref.digest !== null ? null : tagOf(ref);
}

/**
 * The short form people type: docker.io and a `library/` prefix (of a
 * single-level name) dropped, e.g. `nginx:latest`, `myuser/app:1`,
 * `nginx@sha256:…`. Other registries keep the normalised form.
 */
export function familiarName(ref: ImageRef): string {
  let name = repositoryOf(ref);
  if (ref.host === DOCKER_HUB) {
    name = ref.repository;
    if (name.startsWith(OFFICIAL_PREFIX) && !name.slice(OFFICIAL_PREFIX.length).includes("/")) {
      name = name.slice(OFFICIAL_PREFIX.length);
    }
  }
  if (ref.digest !== null) return `${name}@${ref.digest}`;
  return `${name}:${ref.tag ?? DEFAULT_TAG}`;
}

/** The host to talk to for the registry API: `registry-1.docker.io` for `docker.io`, otherwise the host itself. */
export function registryApiHost(host: string): string {
  return host === DOCKER_HUB ? DOCKER_HUB_API : host;
}

/**
 * Whether `s` is a digest containerd/Docker accept: `sha256:` + 64, `sha384:` + 96
 * or `sha512:` + 128 lowercase hex digits.
 */
export function isDigest(s: string): boolean {
  return digestProblem(s) === null;
}

/**
 * Splits a containerd repoDigests entry (`127.0.0.1:5000/demo/app@sha256:…`)
 * into the normalised repository (`host/repository`) and the digest; null when
 * it is not a valid reference with a digest.
 */
export function parseRepoDigest(s: string): { repository: string; digest: string } | null {
  const ref = tryParseImageRef(s);
  if (ref === null || ref.digest === null) return null;
  return { repository: repositoryOf(ref), digest: ref.digest };
}

export { isLoopbackHost } from "./loopback-host.js";
