import { configError, parseDuration, parseListenAddress, tryCatch } from "@imagedrift/core";
import { z } from "zod";

/** Raw option values as flags and env give them (SPEC §5), before validation. */
export interface CollectorOptions {
  db?: string;
  listen?: string;
  grpcListen?: string;
  tokenFile?: string;
  protectReads?: boolean;
  kubernetes?: string;
  registriesConfig?: string;
  resolveInterval?: string;
  tlsCert?: string;
  tlsKey?: string;
  logLevel?: string;
}

const listen = z.string().transform((value, ctx) => {
  const address = tryCatch(() => parseListenAddress(value));
  if (address.error) ctx.addIssue({ code: "custom", message: address.error.message });
  return address.value ?? { host: "", port: 0 };
});

const schema = z
  .object({
    db: z.string().min(1),
    listen,
    grpcListen: listen,
    tokenFile: z.string().min(1).optional(),
    protectReads: z.boolean(),
    kubernetes: z.enum(["auto", "on", "off"]),
    registriesConfig: z.string().min(1).optional(),
    resolveInterval: z.string().transform((value, ctx) => {
      const ms = tryCatch(() => parseDuration(value));
      if (ms.error) ctx.addIssue({ code: "custom", message: ms.error.message });
      else if (ms.value < 1000) ctx.addIssue({ code: "custom", message: `"${value}" is too short (at least 1s)` });
      return ms.value ?? 0;
    }),
    tlsCert: z.string().min(1).optional(),
    tlsKey: z.string().min(1).optional(),
    logLevel: z.enum(["debug", "info", "warn", "error"]),
  })
  .superRefine((cfg, ctx) => {
    if (Boolean(cfg.tlsCert) !== Boolean(cfg.tlsKey)) {
      ctx.addIssue({ code: "custom", path: ["tlsCert"], message: "--tls-cert and --tls-key go together" });
    }
    if (cfg.protectReads && !cfg.tokenFile) {
      ctx.addIssue({ code: "custom", path: ["protectReads"], message: "needs --token-file" });
    }
  });

export type CollectorConfig = z.output<typeof schema>;

export function parseCollectorConfig(options: CollectorOptions): CollectorConfig {
  const result = schema.safeParse({
    db: "./imagedrift.db",
    listen: ":8080",
    grpcListen: ":9100",
    kubernetes: "auto",
    resolveInterval: "5m",
    logLevel: "info",
    protectReads: false,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined && value !== "")),
  });
  if (!result.success) throw configError(result.error.issues);
  return result.data;
}
