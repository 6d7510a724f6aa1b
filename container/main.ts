#!/usr/bin/env node
/** Entry point of the image and of the `byoc` bin: wires the built-in algorithms into the framework CLI. */
import { runCli } from '../framework/index.js';
import { builtInAlgorithms } from './algorithms.js';

await runCli(builtInAlgorithms);
