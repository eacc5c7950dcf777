/**
 * The Kubernetes API a pod of the harness sees: the project's fake API server
 * (packages/collector/src/kubernetes/fake-kube-api.fake.ts, plain HTTP) behind
 * a TLS front on 127.0.0.1 with a certificate from a CA made here, because
 * in-cluster clients speak HTTPS to KUBERNETES_SERVICE_HOST and trust the
 * service account's ca.crt. Secrets live in it: the harness reads them from
 * there as kubelet does, so a Secret a pod writes (the collector's CA) reaches
 * the pods that mount it.
 */
import { mkdir, readFile } from "node:fs/promises";
import { connect, type Server } from "node:net";
import { join } from "node:path";
import { createServer } from "node:tls";
import { FakeKubeApi } from "../../packages/collector/src/kubernetes/fake-kube-api.fake.js";
import { makeServerCertificate } from "../lab/certificates.js";
import { LOOPBACK } from "../lab/ports.js";

export interface ClusterApi {
  readonly fake: FakeKubeApi;
  /** KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, as kubelet sets them in a pod. */
  readonly env: Record<string, string>;
  /** PEM of the CA that signed the API's certificate (the service account's ca.crt). */
  readonly caPem: string;
  /** A Secret's data, decoded, read through the API; null when there is none. */
  secret(namespace: string, name: string): Promise<Record<string, string> | null>;
  /** Creates or replaces a Secret (as `kubectl apply` of the rendered one). */
  putSecret(namespace: string, name: string, data: Record<string, string>): void;
  close(): Promise<void>;
}

export async function startClusterApi(dir: string): Promise<ClusterApi> {
  await mkdir(dir, { recursive: true });
  const caPem = await makeServerCertificate(dir, {
    caName: "imagedrift-harness-api-ca",
    commonName: "kubernetes",
    altNames: ["IP:127.0.0.1", "DNS:kubernetes.default.svc"],
  });
  const fake = await FakeKubeApi.start();
  const backend = new URL(fake.url);
  const front: Server = createServer(
    { key: await readFile(join(dir, "server.key")), cert: await readFile(join(dir, "server.crt")) },
    (socket) => {
      const upstream = connect(Number(backend.port), backend.hostname);
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on("error", end).on("close", end);
      upstream.on("error", end).on("close", end);
    },
  );
  await new Promise<void>((resolve) => front.listen(0, LOOPBACK, resolve));
  const port = (front.address() as { port: number }).port;
  return {
    fake,
    env: { KUBERNETES_SERVICE_HOST: LOOPBACK, KUBERNETES_SERVICE_PORT: String(port) },
    caPem,
    async secret(namespace, name) {
      const response = await fetch(`${fake.url}/api/v1/namespaces/${namespace}/secrets/${name}`);
      if (response.status === 404) return null;
      if (!response.ok) throw new Error(`GET secret ${namespace}/${name}: ${response.status}`);
      const body = (await response.json()) as { data?: Record<string, string> };
      return Object.fromEntries(
        Object.entries(body.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]),
      );
    },
    putSecret(namespace, name, data) {
      const encoded = Object.fromEntries(
        Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString("base64")]),
      );
      fake.put("secrets", { metadata: { name, namespace }, type: "Opaque", data: encoded });
    },
    async close() {
      front.close();
      await fake.close();
    },
  };
}
