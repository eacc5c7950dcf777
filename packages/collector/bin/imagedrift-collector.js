#!/usr/bin/env -S node --heap-growing-percent=50
// This Node flag is part of the collector. The image's ENTRYPOINT runs this file, so it applies there, as
// it does to `./imagedrift-collector.js` and npm's bin link; `node imagedrift-collector.js` skips it.
// A herd of 5,000 agents' first inventories allocates gigabytes of short-lived objects; V8 then sized the
// old generation to that rate, up to several times what is live: peaks of 508-872 MiB for about 250 MiB
// live (bench/ingest.mjs). --heap-growing-percent=50 lets the old generation grow to 1.5x what the last
// full collection left before the next. Cold ingest of 5,000 agents in processes of their own: 473-478
// MiB at 16.5-18.8 s with it; 470-486 MiB at 20-35 s with 20 (more full collections); 510 MiB with 35.
import "../dist/main.js";
