import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ImagedriftError } from "@imagedrift/core";
import { fromGrpcError, grpcStatusName, isServiceError } from "./status.js";
import type {
  AuthConfig,
  ContainerConfig,
  CriContainer,
  CriFilesystemUsage,
  CriImage,
  CriPodSandbox,
  CriPodSandboxStatus,
  CriStatus,
  CriVersion,
  PodSandboxConfig,
} from "./types.js";

const protoPath = fileURLToPath(new URL("../../../proto/runtime/v1/api.proto", import.meta.url));

/** A large node lists thousands of images: far past grpc's 4 MiB default. */
export const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Told about every CRI call, for metrics; `code` is the gRPC status name (`OK`, `UNAVAILABLE`, …). */
export type CallObserver = (call: { method: string; seconds: number; code: string }) => void;

export interface CriClientOptions {
  /** `unix:///run/containerd/containerd.sock`, a bare socket path, or `host:port`. */
  endpoint: string;
  /** Deadline of every call unless the call sets its own. */
  timeoutMs?: number;
  observer?: CallObserver;
}

type Unary = (request: object, options: grpc.CallOptions, callback: grpc.requestCallback<unknown>) => void;
type ServiceClient = grpc.Client & Record<string, Unary>;
type ServiceName = "RuntimeService" | "ImageService";

let loaded: grpc.GrpcObject | undefined;
function definitions(): grpc.GrpcObject {
  loaded ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(protoPath, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true }),
  );
  return loaded;
}

/** Resolves an endpoint as kubelet and crictl accept it into a grpc-js target. */
export function grpcTarget(endpoint: string): string {
  if (endpoint.startsWith("unix://")) {
    const path = endpoint.slice("unix://".length);
    if (!path.startsWith("/")) {
      throw new ImagedriftError("invalid-config", `CRI endpoint "${endpoint}": a unix socket path must be absolute`);
    }
    return `unix://${path}`;
  }
  if (endpoint.startsWith("/")) return `unix://${endpoint}`;
  if (/^[\w.-]+:\d+$/.test(endpoint)) return endpoint;
  throw new ImagedriftError(
    "invalid-config",
    `CRI endpoint "${endpoint}": expected unix:///path/to/socket, an absolute socket path, or host:port`,
  );
}

/**
 * A typed client for the CRI v1 RuntimeService and ImageService. Every call has
 * a deadline; failures are ImagedriftErrors. The channel reconnects by itself
 * (with a short backoff) when the runtime restarts.
 */
export class CriClient {
  readonly endpoint: string;
  readonly #timeoutMs: number;
  readonly #observer: CallObserver | undefined;
  readonly #clients: Record<ServiceName, ServiceClient>;

  private constructor(options: CriClientOptions) {
    this.endpoint = options.endpoint;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#observer = options.observer;
    const target = grpcTarget(options.endpoint);
    const runtimeV1 = (definitions().runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
    const channelOptions: grpc.ChannelOptions = {
      "grpc.max_receive_message_length": MAX_RECEIVE_BYTES,
      "grpc.max_send_message_length": 16 * 1024 * 1024,
      "grpc.initial_reconnect_backoff_ms": 200,
      "grpc.max_reconnect_backoff_ms": 2_000,
      // No channelz service reads it.
      "grpc.enable_channelz": 0,
    };
    const make = (name: ServiceName) => {
      const Ctor = runtimeV1[name] as grpc.ServiceClientConstructor;
      return new Ctor(target, grpc.credentials.createInsecure(), channelOptions) as unknown as ServiceClient;
    };
    this.#clients = { RuntimeService: make("RuntimeService"), ImageService: make("ImageService") };
  }

  static connect(options: CriClientOptions): CriClient {
    return new CriClient(options);
  }

  close(): void {
    this.#clients.RuntimeService.close();
    this.#clients.ImageService.close();
  }

  async version(): Promise<CriVersion> {
    return this.#call("RuntimeService", "Version", { version: "v1" });
  }

  /** The runtime status; with `verbose`, most runtimes add their config (sandbox image and more) under `info.config`. */
  async status(verbose = false): Promise<CriStatus> {
    const res = await this.#call<{ status: { conditions: CriStatus["conditions"] } | null; info: CriStatus["info"] }>(
      "RuntimeService",
      "Status",
      { verbose },
    );
    return { conditions: res.status?.conditions ?? [], info: res.info };
  }

  async listImages(): Promise<CriImage[]> {
    const res = await this.#call<{ images: CriImage[] }>("ImageService", "ListImages", {});
    return res.images;
  }

  /** The image a reference or id names, or null when the runtime does not hold it. */
  async imageStatus(image: string): Promise<CriImage | null> {
    const res = await this.#call<{ image: CriImage | null }>("ImageService", "ImageStatus", { image: { image } });
    return res.image && res.image.id !== "" ? res.image : null;
  }

  /** Pulls an image and returns the runtime's image id. */
  async pullImage(image: string, options: { auth?: AuthConfig; timeoutMs?: number } = {}): Promise<string> {
    const res = await this.#call<{ imageRef: string }>(
      "ImageService",
      "PullImage",
      { image: { image }, auth: options.auth ?? null },
      options.timeoutMs ?? 10 * 60_000,
    );
    return res.imageRef;
  }

  async removeImage(image: string): Promise<void> {
    await this.#call("ImageService", "RemoveImage", { image: { image } });
  }

  async imageFsInfo(): Promise<CriFilesystemUsage[]> {
    const res = await this.#call<{ imageFilesystems: CriFilesystemUsage[] }>("ImageService", "ImageFsInfo", {});
    return res.imageFilesystems;
  }

  async listContainers(): Promise<CriContainer[]> {
    const res = await this.#call<{ containers: CriContainer[] }>("RuntimeService", "ListContainers", {});
    return res.containers;
  }

  async listPodSandboxes(): Promise<CriPodSandbox[]> {
    const res = await this.#call<{ items: CriPodSandbox[] }>("RuntimeService", "ListPodSandbox", {});
    return res.items;
  }

  /** One sandbox's status; with `verbose`, containerd and CRI-O add its details (its image among them) under `info.info`. */
  async podSandboxStatus(podSandboxId: string, verbose = false): Promise<CriPodSandboxStatus> {
    const res = await this.#call<{ status: CriPodSandboxStatus["status"]; info: CriPodSandboxStatus["info"] }>(
      "RuntimeService",
      "PodSandboxStatus",
      { podSandboxId, verbose },
    );
    return { status: res.status, info: res.info };
  }

  async runPodSandbox(config: PodSandboxConfig, timeoutMs = 60_000): Promise<string> {
    const res = await this.#call<{ podSandboxId: string }>("RuntimeService", "RunPodSandbox", { config }, timeoutMs);
    return res.podSandboxId;
  }

  async createContainer(
    podSandboxId: string,
    config: ContainerConfig,
    sandboxConfig: PodSandboxConfig,
  ): Promise<string> {
    const res = await this.#call<{ containerId: string }>(
      "RuntimeService",
      "CreateContainer",
      { podSandboxId, config, sandboxConfig },
      60_000,
    );
    return res.containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.#call("RuntimeService", "StartContainer", { containerId }, 60_000);
  }

  async stopContainer(containerId: string, timeoutSeconds = 0): Promise<void> {
    await this.#call("RuntimeService", "StopContainer", { containerId, timeout: timeoutSeconds }, 60_000);
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.#call("RuntimeService", "RemoveContainer", { containerId }, 60_000);
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.#call("RuntimeService", "StopPodSandbox", { podSandboxId }, 60_000);
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.#call("RuntimeService", "RemovePodSandbox", { podSandboxId }, 60_000);
  }

  #call<Res>(service: ServiceName, method: string, request: object, timeoutMs = this.#timeoutMs): Promise<Res> {
    const client = this.#clients[service];
    const started = performance.now();
    const call = client[method];
    if (call === undefined) {
      // A method the loaded proto does not define: a bug here, not the runtime's answer.
      return Promise.reject(
        new ImagedriftError("unimplemented", `CRI ${service}/${method} is not in the loaded proto`),
      );
    }
    return new Promise((resolve, reject) => {
      call.call(client, request, { deadline: Date.now() + timeoutMs }, (error, response) => {
        this.#observer?.({
          method,
          seconds: (performance.now() - started) / 1000,
          code: error ? (isServiceError(error) ? grpcStatusName(error.code) : "UNKNOWN") : "OK",
        });
        if (error) reject(fromGrpcError(method, error));
        else resolve(response as Res);
      });
    });
  }
}
