/**
 * Hundreds of tags on the lab registry in seconds: pushed over the
 * distribution API directly instead of one skopeo process per tag.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const digestOf = (bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** Uploads `bytes` as a blob of `repo` unless it is there already; returns its digest. */
export async function putBlob(url, repo, bytes) {
  const digest = digestOf(bytes);
  const head = await fetch(`${url}/v2/${repo}/blobs/${digest}`, { method: "HEAD" });
  if (head.status === 200) return digest;
  const start = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  if (start.status !== 202) throw new Error(`POST blob upload ${repo}: ${start.status}`);
  const location = new URL(start.headers.get("location"), url);
  location.searchParams.set("digest", digest);
  const put = await fetch(location, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
  if (put.status !== 201) throw new Error(`PUT blob ${repo} ${digest}: ${put.status} ${await put.text()}`);
  return digest;
}

/** Makes `digest`, already in repository `from`, present in `repo` too (one cross-repository mount request). */
async function mountBlob(url, repo, digest, from) {
  const res = await fetch(`${url}/v2/${repo}/blobs/uploads/?mount=${digest}&from=${from}`, { method: "POST" });
  if (res.status !== 201) throw new Error(`mount ${digest} from ${from} into ${repo}: ${res.status}`);
}

/**
 * Pushes each `{repo, tag, ref}` (skipping those in `keep`, already there) and
 * returns ref → manifest digest for all of them. Every repository gets one
 * small layer and one config (uploaded once, mounted elsewhere); every tag
 * gets a manifest of its own (an annotation names it), so a digest of its own.
 */
export async function pushTags(url, tags, { concurrency = 16, keep = new Map() } = {}) {
  const digests = new Map(keep);
  const queue = tags.filter((t) => !keep.has(t.ref));
  if (queue.length === 0) return digests;
  const layerBytes = Buffer.from("bench layer\n");
  const layer = gzipSync(layerBytes);
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Env: ["PATH=/bin"] },
      rootfs: { type: "layers", diff_ids: [digestOf(layerBytes)] },
    }),
  );
  const home = queue[0].repo;
  const [layerDigest, configDigest] = [await putBlob(url, home, layer), await putBlob(url, home, config)];
  const repos = new Map([[home, Promise.resolve()]]);
  const work = async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      if (!repos.has(t.repo)) {
        repos.set(
          t.repo,
          Promise.all([mountBlob(url, t.repo, layerDigest, home), mountBlob(url, t.repo, configDigest, home)]),
        );
      }
      await repos.get(t.repo);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
          layers: [
            { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layerDigest, size: layer.length },
          ],
          annotations: { "org.opencontainers.image.ref.name": t.ref },
        }),
      );
      const put = await fetch(`${url}/v2/${t.repo}/manifests/${t.tag}`, {
        method: "PUT",
        headers: { "content-type": OCI_MANIFEST },
        body: manifest,
      });
      if (put.status !== 201) throw new Error(`PUT manifest ${t.ref}: ${put.status} ${await put.text()}`);
      digests.set(t.ref, put.headers.get("docker-content-digest") ?? digestOf(manifest));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, work));
  return digests;
}
