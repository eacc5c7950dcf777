#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size --no-opt --no-maglev
// These Node flags are part of the agent. The image's ENTRYPOINT runs this file, so they apply there, as
// they do to `./imagedrift-agent.js` and npm's bin link; `node imagedrift-agent.js` skips them.
// With 1,000 images rescanned every 2 s (bench/scan.mjs) the daemon's peak RSS is about 76 MiB on Node 20
// and 83 MiB on Node 24 with them; without them, 98 MiB after 5 scans and 110-136 MiB (Node 24: 150)
// after a minute, as V8 grows its heap far past the ~15 MiB that is live:
// - --max-semi-space-size=1: a young generation of 2 x 1 MiB, not up to 2 x 16 MiB;
// - --optimize-for-size: V8 collects the old generation early and regularly (at about 23 MiB for 15 live),
//   where it otherwise let it reach 40 MiB or more before its first full collection;
// - --no-opt --no-maglev: no optimizing compilers, whose code and zones cost about 5 MiB (Node 20) and
//   8 MiB (Node 24) resident; a scan takes about as much CPU without them.
// Cost: about 10-20 ms more CPU per scan of 1,000 images (GC), 0.03% of a core at the 60 s default interval.
import "../dist/main.js";
