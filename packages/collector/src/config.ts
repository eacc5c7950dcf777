import { dirname, join } from "node:path";
import { configError, parseDuration, parseListenAddress, tryCatch } from "@imagedrift/core";
import { z } from "zod";
import { DEFAULT_INVENTORY_CONCURRENCY } from "./gateway/inventory-admission.js";
import { parseTlsNames } from "./tls/server-names.js";

/** Raw option values as flags and env give them (docs/ARCHITECTURE.md#the-collector), before validation. */
export interface CollectorOptions {
  db?: string;
  listen?: string;
  grpcListen?: string;
  tokenFile?: string;
  readTokenFile?: string;
  registryEventsTokenFile?: string;
  protectReads?: boolean;
  rateLimit?: string;
  inventoryConcurrency?: string;
  kubernetes?: string;
  kubernetesPullSecrets?: boolean;
  registriesConfig?: string;
  resolveInterval?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  tlsSelfSigned?: boolean;
  tlsDir?: string;
  tlsService?: string;
  tlsNames?: string;
  logLevel?: string;
}

const listen = z.string().transform((value, ctx) => {
  const address = tryCatch(() => parseListenAddress(value));
  if (address.error) ctx.addIssue({ code: "custom", message: address.error.message });
  return address.value ?? { host: "", port: 0 };
});

/** `--rate-limit`: `N` (burst 2N), `N:BURST`, or `off`/`0`; null means no limit. */
const rateLimit = z.string().transform((value, ctx): { perSecond: number; burst: number } | null => {
  if (value === "off" || value === "0") return null;
  const match = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(value);
  const perSecond = Number(match?.[1]);
  const burst = match?.[2] === undefined ? Math.max(1, Math.ceil(perSecond * 2)) : Number(match[2]);
  if (!match || !(perSecond > 0) || !(burst >= 1)) {
    ctx.addIssue({
      code: "custom",
      message: `"${value}" is not a rate limit: requests per second per client, e.g. 50, 50:100 (with a burst) or off`,
    });
  }
  return { perSecond, burst };
});

const schema = z
  .object({
    db: z.string().min(1),
    listen,
    grpcListen: listen,
    tokenFile: z.string().min(1).optional(),
    readTokenFile: z.string().min(1).optional(),
    registryEventsTokenFile: z.string().min(1).optional(),
    protectReads: z.boolean(),
    rateLimit,
    inventoryConcurrency: z.string().transform((value, ctx) => {
      const count = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      if (!(count >= 1 && count <= 10_000)) {
        ctx.addIssue({ code: "custom", message: `"${value}" is not a whole number from 1 to 10000` });
      }
      return count;
    }),
    kubernetes: z.enum(["auto", "on", "off"]),
    kubernetesPullSecrets: z.boolean(),
    registriesConfig: z.string().min(1).optional(),
    resolveInterval: z.string().transform((value, ctx) => {
      const ms = tryCatch(() => parseDuration(value));
      if (ms.error) ctx.addIssue({ code: "custom", message: ms.error.message });
      else if (ms.value < 1000) ctx.addIssue({ code: "custom", message: `"${value}" is too short (at least 1s)` });
      return ms.value ?? 0;
    }),
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    tlsClientCa: z.string().min(1).optional(),
    tlsSelfSigned: z.boolean(),
    tlsDir: z.string().min(1).optional(),
    tlsService: z.string().regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, "a Service name (RFC 1035 label)"),
    tlsNames: z.string().transform((value, ctx) => {
      const names = tryCatch(() => parseTlsNames(value));
      if (names.error) ctx.addIssue({ code: "custom", message: names.error.message });
      return names.value ?? [];
    }),
    logLevel: z.enum(["debug", "info", "warn", "error"]),
  })
  .superRefine((cfg, ctx) => {
    if (Boolean(cfg.tlsCert) !== Boolean(cfg.tlsKey)) {
      ctx.addIssue({ code: "custom", path: ["tlsCert"], message: "--tls-cert and --tls-key go together" });
    }
    if (cfg.protectReads && !cfg.tokenFile) {
      ctx.addIssue({ code: "custom", path: ["protectReads"], message: "needs --token-file" });
    }
    if (cfg.kubernetesPullSecrets && cfg.kubernetes === "off") {
      ctx.addIssue({
        code: "custom",
        path: ["kubernetesPullSecrets"],
        message: "needs the Kubernetes API (--kubernetes on or auto), which --kubernetes off turns off",
      });
    }
    if (cfg.readTokenFile && !cfg.tokenFile) {
      ctx.addIssue({
        code: "custom",
        path: ["readTokenFile"],
        message: "needs --token-file (the token that can change things)",
      });
    }
    if (cfg.tlsClientCa && !cfg.tlsCert && !cfg.tlsSelfSigned) {
      ctx.addIssue({
        code: "custom",
        path: ["tlsClientCa"],
        message: "needs --tls-cert and --tls-key or --tls-self-signed (mutual TLS is TLS first)",
      });
    }
    if (cfg.tlsSelfSigned && cfg.tlsCert) {
      ctx.addIssue({
        code: "custom",
        path: ["tlsSelfSigned"],
        message: "choose one: --tls-self-signed makes the certificate, --tls-cert/--tls-key bring one",
      });
    }
  })
  // The self-signed mode's files live beside the database by default: on the collector's own volume.
  .transform((cfg) => ({ ...cfg, tlsDir: cfg.tlsDir ?? join(dirname(cfg.db), "tls") }));

export type CollectorConfig = z.output<typeof schema>;

/** Every option's default, as flags give it: parsed like a flag, and named in --help. */
export const COLLECTOR_DEFAULTS = {
  db: "./imagedrift.db",
  listen: ":8080",
  grpcListen: ":9100",
  kubernetes: "auto",
  kubernetesPullSecrets: false,
  resolveInterval: "5m",
  logLevel: "info",
  protectReads: false,
  rateLimit: "50:100",
  inventoryConcurrency: String(DEFAULT_INVENTORY_CONCURRENCY),
  tlsSelfSigned: false,
  tlsService: "imagedrift-collector",
  tlsNames: "",
} as const satisfies CollectorOptions;

export function parseCollectorConfig(options: CollectorOptions): CollectorConfig {
  const result = schema.safeParse({
    ...COLLECTOR_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined && value !== "")),
  });
  if (!result.success) throw configError(result.error.issues);
  return result.data;
}
