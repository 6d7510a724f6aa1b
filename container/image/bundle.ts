/**
 * Bundles the compiled `byoc` entry point (dist/container/image/main.js) and the Lambda handler
 * (dist/container/image/lambda.js, the Lambda image's `lambda.handler`) into dist/bundle/ with esbuild.
 *
 * Why: Node spends most of a cold start resolving, reading and compiling the hundreds of small ES
 * modules of the dependencies (zod, yaml, hono, pino, inversify, commander). One tree-shaken
 * bundle per entry, split into chunks along the dynamic imports (so the serving primary still
 * loads no algorithm and a worker no training code), halves the time to the first /ping.
 * TensorFlow.js stays external: it resolves its own wasm files and is loaded only to train.
 *
 *   node dist/container/image/bundle.js    (run by `npm run build`)
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// This file runs as dist/container/image/bundle.js: the repository root is three folders up.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const outdir = path.join(root, 'dist', 'bundle');
// Chunk names carry content hashes: clear the previous build's chunks.
rmSync(outdir, { recursive: true, force: true });
/**
 * One bundle per entry, each with its own chunks: the CLI's bundle (and so its measured start-up)
 * stays what it was without the Lambda entry; shared chunks would split it further.
 */
async function bundle(name: string, entry: string, chunks: string): Promise<number[]> {
  const result = await build({
    entryPoints: { [name]: path.join(root, 'dist', 'container', 'image', entry) },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minifySyntax: true,
    minifyWhitespace: true,
    // Names stay readable: error classes and stack traces are part of the logs.
    minifyIdentifiers: false,
    sourcemap: 'linked',
    chunkNames: `${chunks}/[name]-[hash]`,
    external: ['@tensorflow/*'],
    // Some dependencies are CommonJS and call require(): give the ES module output one.
    banner: { js: "import { createRequire as __byocCreateRequire } from 'node:module'; const require = __byocCreateRequire(import.meta.url);" },
    logLevel: 'warning',
    metafile: true,
  });
  return Object.values(result.metafile.outputs).map((o) => o.bytes);
}

const outputs = [...(await bundle('byoc', 'main.js', 'chunks')), ...(await bundle('lambda', 'lambda.js', 'lambda-chunks'))];
const bytes = outputs.reduce((sum, b) => sum + b, 0);
console.log(`bundle: dist/bundle/byoc.js, dist/bundle/lambda.js and ${outputs.length - 2} more files, ${(bytes / 1024).toFixed(0)} KiB`);
