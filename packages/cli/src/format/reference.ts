/** Image references in tables: the short form people type (`nginx:1.27`), lists cut to a few. */
import { familiarName, tryParseImageRef } from "@imagedrift/core";

/** `docker.io/library/nginx:1.27` → `nginx:1.27`; other registries keep their host; unparsable input unchanged. */
export function familiarRef(reference: string): string {
  const ref = tryParseImageRef(reference);
  return ref === null ? reference : familiarName(ref);
}

/** `a, b, c +2 more` */
export function listSome(items: readonly string[], limit = 3): string {
  if (items.length <= limit) return items.join(", ");
  return `${items.slice(0, limit).join(", ")} +${items.length - limit} more`;
}
