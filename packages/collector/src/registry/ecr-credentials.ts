/**
 * Amazon ECR through the AWS default credential chain (environment keys,
 * IRSA's web identity token file, EKS Pod Identity's container credentials,
 * the shared config files, instance metadata): `GetAuthorizationToken` gives
 * a base64 `AWS:<password>` valid 12 hours, sent as Basic auth. The SDK is
 * imported only when an ECR registry is first asked, so a collector without
 * one never loads it. Endpoints follow the SDK's own settings
 * (`AWS_ENDPOINT_URL_ECR`, `AWS_ENDPOINT_URL_STS`, `AWS_REGION`).
 */
import type { GetAuthorizationTokenCommandOutput } from "@aws-sdk/client-ecr";
import type { Clock } from "./clock.js";
import { CachedCloudCredentials, type ExpiringCredentials, providerError } from "./cloud-credentials.js";
import { Secret } from "./secret.js";

export interface EcrOptions {
  /** The registry's region; default the region in its host, else the SDK's (AWS_REGION, profile). */
  region?: string | undefined;
  clock: Clock;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com` (and `.com.cn`, `dkr-fips`): the region, or undefined. */
export function ecrRegion(host: string): string | undefined {
  return /^\d{12}\.dkr(?:-fips)?\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1];
}

export function ecrCredentials(options: EcrOptions): CachedCloudCredentials {
  let client: Promise<{ send: (region: string | undefined) => Promise<ExpiringCredentials> }> | undefined;
  const exchange = async (): Promise<ExpiringCredentials> => {
    client ??= loadClient(options.clock);
    return (await client).send(options.region);
  };
  return new CachedCloudCredentials("aws", exchange, options.clock);
}

async function loadClient(clock: Clock) {
  const [{ ECRClient, GetAuthorizationTokenCommand }, { defaultProvider }] = await Promise.all([
    import("@aws-sdk/client-ecr"),
    import("@aws-sdk/credential-provider-node"),
  ]);
  const clients = new Map<string, InstanceType<typeof ECRClient>>();
  return {
    send: async (region: string | undefined): Promise<ExpiringCredentials> => {
      const key = region ?? "";
      let ecr = clients.get(key);
      if (ecr === undefined) {
        ecr = new ECRClient({ ...(region ? { region } : {}), credentials: defaultProvider() });
        clients.set(key, ecr);
      }
      let out: GetAuthorizationTokenCommandOutput;
      try {
        out = await ecr.send(new GetAuthorizationTokenCommand({}));
      } catch (error) {
        throw providerError("aws", "GetAuthorizationToken failed", error);
      }
      const data = out.authorizationData?.[0];
      const decoded = Buffer.from(data?.authorizationToken ?? "", "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon <= 0 || colon === decoded.length - 1) {
        throw providerError("aws", 'GetAuthorizationToken gave no token of the form base64("user:password")');
      }
      return {
        credentials: {
          kind: "basic",
          username: decoded.slice(0, colon),
          password: new Secret(decoded.slice(colon + 1)),
        },
        expiresAt: data?.expiresAt?.getTime() ?? clock.now() + 12 * 3600_000,
      };
    },
  };
}
