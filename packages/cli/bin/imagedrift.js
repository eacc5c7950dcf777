#!/usr/bin/env node
// dist/imagedrift.js is the whole command in one file (bundle.mjs): what `npm pack` ships is what runs here.
import "../dist/imagedrift.js";
