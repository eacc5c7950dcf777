import { configError, isDialAddress, parseDuration, parseListenAddress, tryCatch } from "@imagedrift/core";
import { grpcTarget } from "@imagedrift/cri";
import { z } from "zod";

export const DEFAULT_CRI_ENDPOINT = "unix:///run/containerd/containerd.sock";

/** Raw option values as flags and env give them (SPEC §4), before validation. */
export interface AgentOptions {
  criEndpoint?: string;
  nodeName?: string;
  collector?: string;
  listen?: string;
  interval?: string;
  tokenFile?: string;
  nodeLabels?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel?: string;
}

const duration = (min: number) =>
  z.string().transform((value, ctx) => {
    const ms = tryCatch(() => parseDuration(value));
    if (ms.error) ctx.addIssue({ code: "custom", message: ms.error.message });
    else if (ms.value < min)
      ctx.addIssue({ code: "custom", message: `"${value}" is too short (at least ${min / 1000}s)` });
    return ms.value ?? 0;
  });

const schema = z.object({
  criEndpoint: z.string().superRefine((value, ctx) => {
    const target = tryCatch(() => grpcTarget(value));
    if (target.error) ctx.addIssue({ code: "custom", message: target.error.message });
  }),
  nodeName: z
    .string({ error: "no node name: set --node-name, IMAGEDRIFT_NODE_NAME or NODE_NAME" })
    .max(253)
    .regex(
      /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
      "must be a Kubernetes node name (lowercase letters, digits, '-' and '.')",
    ),
  collector: z
    .string()
    .refine(isDialAddress, "must be host:port of the collector's gRPC listener, e.g. imagedrift-collector:9100")
    .optional(),
  listen: z.string().transform((value, ctx) => {
    const address = tryCatch(() => parseListenAddress(value));
    if (address.error) ctx.addIssue({ code: "custom", message: address.error.message });
    return address.value ?? { host: "", port: 0 };
  }),
  interval: duration(1000),
  tokenFile: z.string().min(1).optional(),
  nodeLabels: z
    .string()
    .transform((value, ctx) => {
      const labels: Record<string, string> = {};
      for (const pair of value.split(",").filter(Boolean)) {
        const match = /^([A-Za-z0-9][-A-Za-z0-9_./]{0,252})=([-A-Za-z0-9_.]{0,63})$/.exec(pair.trim());
        if (match?.[1] !== undefined) labels[match[1]] = match[2] ?? "";
        else ctx.addIssue({ code: "custom", message: `"${pair}" is not a label (expected key=value)` });
      }
      return labels;
    })
    .default({}),
  tlsCa: z.string().min(1).optional(),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  logLevel: z.enum(["debug", "info", "warn", "error"]),
});

/** A client certificate (mutual TLS) comes with its key, over TLS. */
const withTls = schema.superRefine((cfg, ctx) => {
  if (Boolean(cfg.tlsCert) !== Boolean(cfg.tlsKey)) {
    ctx.addIssue({ code: "custom", path: ["tlsCert"], message: "--tls-cert and --tls-key go together" });
  }
  if (cfg.tlsCert && !cfg.tlsCa) {
    ctx.addIssue({
      code: "custom",
      path: ["tlsCert"],
      message: "a client certificate needs --tls-ca (mutual TLS is TLS first)",
    });
  }
});

export type AgentConfig = z.output<typeof schema>;

export function parseAgentConfig(options: AgentOptions): AgentConfig {
  const result = withTls.safeParse({
    criEndpoint: DEFAULT_CRI_ENDPOINT,
    listen: ":9101",
    interval: "60s",
    logLevel: "info",
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined && value !== "")),
  });
  if (!result.success) throw configError(result.error.issues);
  return result.data;
}
