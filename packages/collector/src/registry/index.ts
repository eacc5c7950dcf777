/** Registry resolution for the collector (docs/ARCHITECTURE.md#registry-politeness): config, client, rate limits and the tag resolver. */
export { type Clock, systemClock } from "./clock.js";
export {
  type CloudIdentity,
  type CloudIdentityOptions,
  cloudIdentity,
  providerOfHost,
  providersInEnvironment,
} from "./cloud-identity.js";
export { credentialsFromDockerConfig, dockerConfigHost } from "./docker-config.js";
export {
  fetchTransport,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  nodeTransport,
} from "./http-transport.js";
export {
  DEFAULT_MAX_CONCURRENT,
  DEFAULT_REQUESTS_PER_SECOND,
  RateLimiter,
  type RateLimitOptions,
} from "./rate-limit.js";
export {
  type FileReader,
  loadRegistriesConfig,
  parseRegistriesConfig,
  type RegistriesConfigOptions,
} from "./registries-config.js";
export {
  MANIFEST_ACCEPT,
  MANIFEST_MEDIA_TYPES,
  RegistryClient,
  type RegistryClientOptions,
  type RegistryResult,
} from "./registry-client.js";
export {
  defaultHostConfig,
  emptyRegistriesConfig,
  hostConfig,
  type RegistriesConfig,
  type RegistryHostConfig,
} from "./registry-host.js";
export { DEFAULT_TIMEOUT_MS, defaultTransportFor, type RequestObserver } from "./registry-transport.js";
export { type ResolvedTag, resolutionOf, TagResolver, type TagResolverOptions } from "./resolver.js";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry-policy.js";
export { type RegistryCredentials, Secret } from "./secret.js";
