export { openDatabase } from "./database.js";
export { comparePlaces, type FindingPlace, FindingStore, findingPlace } from "./finding-store.js";
export type { ImageHoldings } from "./image-interner.js";
export { migrate, migrations } from "./migrations.js";
export { type HelloRecord, type NodeRecord, NodeStore, type SaveResult } from "./node-store.js";
export { storeError } from "./store-error.js";
export { TagStore } from "./tag-store.js";
