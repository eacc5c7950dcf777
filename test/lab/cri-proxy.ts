/**
 * A CRI proxy for the lab: a gRPC server on a unix socket that forwards every
 * CRI call of the proto subset to a real containerd 1.6 node, byte for byte,
 * and rewrites the answers of Version, Status, ListImages and PodSandboxStatus
 * into the shape another runtime gives them. Images, containers, sandboxes
 * and removals stay containerd's own: only what differs between runtimes in
 * how they name the sandbox (pause) image, and who they say they are, is
 * rewritten. The shapes come from the upstream code named in docs/runtimes.md.
 *
 * Not rewritten: image ids (CRI-O's are bare hex, without `sha256:`), the rest
 * of each runtime's verbose info, and errors.
 */
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { formatImageRef, tryParseImageRef } from "@imagedrift/core";

const PROTO = fileURLToPath(new URL("../../proto/runtime/v1/api.proto", import.meta.url));

/**
 * - `identity`: rewrites nothing (the check that the proxy itself changes nothing);
 * - `containerd-2`: containerd 2.1, whose status no longer names the sandbox image (it moved to the
 *   image service's pinned_images) and which pins it;
 * - `cri-o`: CRI-O 1.33, status `config` = {sandboxImage, crio}, pause pinned, sandboxes without an infra
 *   container (the default, drop_infra_ctr) so their status names no image;
 * - `cri-dockerd`: cri-dockerd 0.4, status `config` = {sandboxImage}, pause pinned, no sandbox info;
 * - `cri-o-1.26`: CRI-O before 1.27 with sandboxes without an infra container: names the pause image nowhere.
 */
export type RuntimeShape = "identity" | "containerd-2" | "cri-o" | "cri-dockerd" | "cri-o-1.26";

export const RUNTIME_SHAPES: readonly RuntimeShape[] = [
  "identity",
  "containerd-2",
  "cri-o",
  "cri-dockerd",
  "cri-o-1.26",
];

export interface CriProxyOptions {
  /** The real runtime's socket path. */
  upstream: string;
  /** Where to listen (a unix socket path; keep it short). */
  socket: string;
  shape: RuntimeShape;
  /** The sandbox image the real node is configured with: the one the shape names and pins. */
  sandboxImage: string;
}

export interface CriProxy {
  /** `unix:///…`. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

type Message = Record<string, unknown>;
type Rewrite = (response: Message, sandboxImage: string) => Message;

interface Fixture {
  version: { version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string };
  status?: Rewrite;
  listImages?: Rewrite;
  podSandboxStatus?: Rewrite;
}

const normalised = (name: string) => {
  const ref = tryParseImageRef(name);
  return ref ? formatImageRef(ref) : name;
};

/** Marks the images tagged with the sandbox image pinned, as containerd 1.7.3+, CRI-O 1.28+ and cri-dockerd 0.3.10+ do. */
const pinSandboxImage: Rewrite = (response, sandboxImage) => {
  const wanted = normalised(sandboxImage);
  const images = (response.images as Message[]).map((image) => ({
    ...image,
    pinned: (image.repoTags as string[]).some((tag) => normalised(tag) === wanted),
  }));
  return { ...response, images };
};

const withInfo = (info: Record<string, unknown>) => (response: Message) => ({
  ...response,
  info: Object.fromEntries(Object.entries(info).map(([key, value]) => [key, JSON.stringify(value)])),
});

/** The keys of containerd 1.6's CRI config that 2.x moved to the image service or the CRI server (not in its status). */
const MOVED_IN_CONTAINERD_2 = [
  "sandboxImage",
  "registry",
  "imageDecryption",
  "maxConcurrentDownloads",
  "statsCollectPeriod",
  "disableTCPService",
  "streamServerAddress",
  "streamServerPort",
  "streamIdleTimeout",
  "enableTLSStreaming",
  "x509KeyPairStreaming",
];

const FIXTURES: Record<Exclude<RuntimeShape, "identity">, Fixture> = {
  "containerd-2": {
    version: { version: "0.1.0", runtimeName: "containerd", runtimeVersion: "v2.1.9", runtimeApiVersion: "v1" },
    status: (response) => {
      const info = { ...(response.info as Record<string, string>) };
      const config = JSON.parse(info.config ?? "{}") as Record<string, unknown>;
      for (const key of MOVED_IN_CONTAINERD_2) delete config[key];
      info.config = JSON.stringify(config);
      return { ...response, info };
    },
    listImages: pinSandboxImage,
    // containerd 2.x answers as 1.6 does: info.info with the sandbox's image.
  },
  "cri-o": {
    version: { version: "0.1.0", runtimeName: "cri-o", runtimeVersion: "1.33.4", runtimeApiVersion: "v1" },
    status: (response, sandboxImage) =>
      withInfo({ config: { sandboxImage, crio: { runtime: { default_runtime: "crun" } } } })(response),
    listImages: pinSandboxImage,
    podSandboxStatus: withInfo({ info: { runtimeSpec: { ociVersion: "1.2.0" } } }),
  },
  "cri-dockerd": {
    version: { version: "0.1.0", runtimeName: "docker", runtimeVersion: "28.3.3", runtimeApiVersion: "v1" },
    status: (response, sandboxImage) => withInfo({ config: { sandboxImage } })(response),
    listImages: pinSandboxImage,
    podSandboxStatus: withInfo({}),
  },
  "cri-o-1.26": {
    version: { version: "0.1.0", runtimeName: "cri-o", runtimeVersion: "1.26.4", runtimeApiVersion: "v1" },
    status: withInfo({}),
    listImages: (response) => ({
      ...response,
      images: (response.images as Message[]).map((image) => ({ ...image, pinned: false })),
    }),
    podSandboxStatus: withInfo({ info: { runtimeSpec: { ociVersion: "1.0.2-dev" } } }),
  },
};

function rewriteOf(shape: RuntimeShape, method: string): Rewrite | undefined {
  if (shape === "identity") return undefined;
  const fixture = FIXTURES[shape];
  switch (method) {
    case "Version":
      return (response) => ({ ...response, ...fixture.version });
    case "Status":
      return fixture.status;
    case "ListImages":
      return fixture.listImages;
    case "PodSandboxStatus":
      return fixture.podSandboxStatus;
    default:
      return undefined;
  }
}

const passBytes = (buffer: Buffer) => buffer;

export async function startCriProxy(options: CriProxyOptions): Promise<CriProxy> {
  const definition = protoLoader.loadSync(PROTO, {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const upstream = new grpc.Client(`unix://${options.upstream}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
  });
  const server = new grpc.Server({ "grpc.max_send_message_length": 64 * 1024 * 1024 });
  for (const service of ["RuntimeService", "ImageService"]) {
    const methods = definition[`runtime.v1.${service}`] as grpc.ServiceDefinition;
    const passthrough: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(methods)) {
      passthrough[name] = {
        ...method,
        requestSerialize: passBytes,
        requestDeserialize: passBytes,
        responseSerialize: passBytes,
        responseDeserialize: passBytes,
      };
      const rewrite = rewriteOf(options.shape, name);
      const handler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
        upstream.makeUnaryRequest(
          method.path,
          passBytes,
          passBytes,
          call.request,
          call.metadata,
          { deadline: call.getDeadline() },
          (error, bytes) => {
            if (error || bytes === undefined) {
              callback(error ?? { code: grpc.status.INTERNAL, details: "no answer" });
              return;
            }
            if (rewrite === undefined) {
              callback(null, bytes);
              return;
            }
            const decoded = method.responseDeserialize(bytes) as Message;
            callback(null, method.responseSerialize(rewrite(decoded, options.sandboxImage)));
          },
        );
      };
      handlers[name] = handler;
    }
    server.addService(passthrough, handlers);
  }
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${options.socket}`, grpc.ServerCredentials.createInsecure(), (error) =>
      error ? reject(error) : resolve(),
    ),
  );
  return {
    endpoint: `unix://${options.socket}`,
    stop: async () => {
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      upstream.close();
    },
  };
}
