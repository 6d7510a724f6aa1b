/** `weights.bin`: the float32 tensors of `weightSpecs` concatenated (the tf.io weights format). */
import { shapeSize } from './net-spec.js';
import type { TargetArtifact } from './target-artifact.js';

export function encodeWeights(a: TargetArtifact, weights: Map<string, Float32Array>): Uint8Array {
  const total = a.weightSpecs.reduce((s, w) => s + shapeSize(w.shape), 0);
  const buf = new Float32Array(total);
  let o = 0;
  for (const w of a.weightSpecs) {
    const data = weights.get(w.name)!;
    buf.set(data, o);
    o += data.length;
  }
  return new Uint8Array(buf.buffer);
}

export function decodeWeights(a: TargetArtifact, bytes: Uint8Array): Map<string, Float32Array> {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const all = new Float32Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.byteLength / 4));
  const m = new Map<string, Float32Array>();
  let o = 0;
  for (const w of a.weightSpecs) {
    const size = shapeSize(w.shape);
    if (o + size > all.length) throw new Error(`weights.bin is too short for "${w.name}" (corrupt model?)`);
    m.set(w.name, all.slice(o, o + size));
    o += size;
  }
  return m;
}
