#!/usr/bin/env -S node --heap-growing-percent=20
// This Node flag is part of the collector. The image's ENTRYPOINT runs this file, so it applies there, as
// it does to `./imagedrift-collector.js` and npm's bin link; `node imagedrift-collector.js` skips it.
// A herd of 5,000 agents' first inventories allocates gigabytes of short-lived objects; V8 then sized the
// old generation to that rate, up to several times what is live (peaks of 536-848 MiB for about 250 MiB
// live, bench/ingest.mjs). --heap-growing-percent=20 lets the old generation grow to 1.2x what the last
// full collection left before the next, at the cost of more full collections while the herd arrives.
import "../dist/main.js";
