/**
 * The ingest peer: the straightforward collector, as a process of its own. It
 * serves the same AgentGateway service (same grpc-js, same protobuf
 * decoding), answers hello with welcome, and writes each inventory as rows
 * (nodes, node_images, node_containers, node_pods, node_tags, a tag_history
 * row per tag as for a node seen the first time, an image_usage row per image
 * in use): the row-per-image schema of the collector's migrations 1 and 2
 * (before migration 3 made an inventory one row), with the collector's
 * pragmas, one transaction per inventory, plain prepared statements, and no
 * validation, no in-memory model, no tag resolution, no findings. A heartbeat
 * updates the node's last report time.
 *
 * Usage: node bench/lib/sink.mjs DB_FILE HOST:PORT  (prints {"msg":"sink started","grpcPort":N})
 */
import * as grpc from "@grpc/grpc-js";
import { agentGateway, channelOptions, NODE_METADATA_KEY } from "@imagedrift/protocol";
import BetterSqlite3 from "better-sqlite3";
import { migrations } from "../../packages/collector/dist/store/index.js";

const [dbFile, listen] = process.argv.slice(2);
const db = new BetterSqlite3(dbFile);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.pragma("foreign_keys = ON");
for (const sql of migrations.slice(0, 2)) db.exec(sql);
const s = {
  hello: db.prepare(`INSERT INTO nodes (name, agent_version, interval_ms, labels, first_seen_at, last_report_at)
    VALUES (?, ?, ?, '{}', ?, ?) ON CONFLICT (name) DO UPDATE SET last_report_at = excluded.last_report_at`),
  touch: db.prepare("UPDATE nodes SET last_report_at = ? WHERE name = ?"),
  node: db.prepare(`UPDATE nodes SET last_report_at = ?, runtime_name = ?, runtime_version = ?, runtime_api_version = ?,
    inventory_hash = ?, scanned_at = ?, imagefs_mountpoint = ?, imagefs_used_bytes = ?, imagefs_inodes_used = ? WHERE name = ?`),
  deleteImages: db.prepare("DELETE FROM node_images WHERE node = ?"),
  deleteContainers: db.prepare("DELETE FROM node_containers WHERE node = ?"),
  deletePods: db.prepare("DELETE FROM node_pods WHERE node = ?"),
  deleteTags: db.prepare("DELETE FROM node_tags WHERE node = ?"),
  image:
    db.prepare(`INSERT INTO node_images (node, image_id, repo_tags, repo_digests, size, pinned, sandbox, in_use, first_seen_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
  container:
    db.prepare(`INSERT INTO node_containers (node, container_id, image_id, pod, namespace, container, state, pod_uid, image)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
  pod: db.prepare("INSERT INTO node_pods (node, pod_id, name, namespace, uid, state) VALUES (?, ?, ?, ?, ?, ?)"),
  tag: db.prepare(
    "INSERT INTO node_tags (node, tag, digest, image_id, since) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
  ),
  history:
    db.prepare(`INSERT INTO tag_history (node, tag, old_digest, new_digest, old_image_id, new_image_id, changed_at)
    VALUES (?, ?, NULL, ?, NULL, ?, ?)`),
  usage: db.prepare(`INSERT INTO image_usage (node, image_id, last_used_at) VALUES (?, ?, ?)
    ON CONFLICT (node, image_id) DO UPDATE SET last_used_at = excluded.last_used_at`),
};

const store = db.transaction((node, inv) => {
  const now = new Date().toISOString();
  s.node.run(
    now,
    inv.runtime?.name ?? "",
    inv.runtime?.version ?? "",
    inv.runtime?.apiVersion ?? "",
    inv.hash,
    inv.scannedAt,
    inv.imageFs?.mountpoint ?? "",
    Number(inv.imageFs?.usedBytes ?? 0),
    inv.imageFs?.inodesUsed == null ? null : Number(inv.imageFs.inodesUsed),
    node,
  );
  s.deleteImages.run(node);
  s.deleteContainers.run(node);
  s.deletePods.run(node);
  s.deleteTags.run(node);
  for (const image of inv.images) {
    s.image.run(
      node,
      image.id,
      JSON.stringify(image.repoTags),
      JSON.stringify(image.repoDigests),
      Number(image.size),
      Number(image.pinned),
      Number(image.sandbox),
      Number(image.inUse),
      now,
    );
    for (const c of image.containers) {
      s.container.run(node, c.id, image.id, c.pod, c.namespace, c.container, c.state, c.podUid, c.image);
    }
    if (image.inUse) s.usage.run(node, image.id, now);
    const digest = image.repoDigests[0]?.split("@")[1] ?? null;
    for (const tag of image.repoTags) {
      s.tag.run(node, tag, digest, image.id, now);
      s.history.run(node, tag, digest, image.id, now);
    }
  }
  for (const pod of inv.pods) s.pod.run(node, pod.id, pod.name, pod.namespace, pod.uid, pod.state);
});

const held = new Map();
const server = new grpc.Server(channelOptions);
server.addService(agentGateway().service, {
  Connect(call) {
    const node = String(call.metadata.get(NODE_METADATA_KEY)[0] ?? "");
    call.on("data", (message) => {
      const now = new Date().toISOString();
      switch (message.body) {
        case "hello":
          s.hello.run(node, message.hello.agentVersion, Number(message.hello.intervalMs), now, now);
          call.write({
            body: "welcome",
            welcome: { collectorVersion: "sink", inventoryWanted: held.get(node) !== message.hello.inventoryHash },
          });
          break;
        case "inventory":
          store(node, message.inventory);
          held.set(node, message.inventory.hash);
          break;
        case "heartbeat":
          s.touch.run(now, node);
          if (held.get(node) !== message.heartbeat.inventoryHash) {
            call.write({ body: "resendInventory", resendInventory: { reason: "unknown hash" } });
          }
          break;
      }
    });
    call.on("end", () => call.end());
    call.on("error", () => undefined);
  },
});
server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${JSON.stringify({ msg: "sink started", grpcPort: port })}\n`);
});
const stop = () => {
  server.forceShutdown();
  db.close();
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
