/**
 * `weights.bin`: the tensors of `weightSpecs` concatenated, float32 or int32 little-endian as the
 * platform writes them (the tf.io weights format): the network's, then the linear model's.
 */
import { shapeSize } from './net-spec.js';
import type { TargetArtifact } from './target-artifact.js';

/** A target's tensors by name. */
export type Tensors = Map<string, Float32Array | Int32Array>;

export function encodeWeights(a: TargetArtifact, weights: ReadonlyMap<string, Float32Array | Int32Array>): Uint8Array {
  const total = a.weightSpecs.reduce((s, w) => s + shapeSize(w.shape), 0);
  const bytes = new Uint8Array(4 * total);
  let o = 0;
  for (const w of a.weightSpecs) {
    const data = weights.get(w.name);
    if (!data || data.length !== shapeSize(w.shape)) throw new Error(`weights: tensor "${w.name}" is missing or not of shape [${w.shape.join(', ')}]`);
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), o);
    o += data.byteLength;
  }
  return bytes;
}

export function decodeWeights(a: TargetArtifact, bytes: Uint8Array): Tensors {
  const m: Tensors = new Map();
  let o = 0;
  for (const w of a.weightSpecs) {
    const size = shapeSize(w.shape);
    if (o + 4 * size > bytes.byteLength) throw new Error(`weights.bin is too short for "${w.name}" (corrupt model?)`);
    // a copy with its own buffer (a Node Buffer's slice would be a view into a shared pool)
    const copy = new Uint8Array(bytes.subarray(o, o + 4 * size));
    m.set(w.name, w.dtype === 'int32' ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer));
    o += 4 * size;
  }
  return m;
}
