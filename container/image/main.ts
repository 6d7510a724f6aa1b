#!/usr/bin/env node
/** Entry point of the image and of the `byoc` bin: wires the built-in algorithms into the framework CLI. */
import { runCli } from '../../framework/cli.js';

// Loaded lazily: the serving primary never needs the algorithms.
await runCli(async () => (await import('./algorithms.js')).builtInAlgorithms);
