/**
 * The network spec stored in `target.json` and the weight layout it implies: the tensors of
 * `weights.bin`, in order. core/net.ts runs it; fit/train-net.ts trains it.
 */

export interface NetSpec {
  tableRows: number;
  embDim: number;
  numDim: number;
  numHidden: number[];
  fcHidden: number[];
  outDim: number;
}

export interface WeightShape {
  name: string;
  shape: number[];
}

export function weightShapes(s: NetSpec): WeightShape[] {
  const out: WeightShape[] = [
    { name: 'emb', shape: [s.tableRows, s.embDim] },
    { name: 'emb_b', shape: [s.embDim] },
  ];
  let numOut = 0;
  if (s.numDim > 0) {
    let d = s.numDim;
    s.numHidden.forEach((h, i) => {
      out.push({ name: `num${i}_w`, shape: [d, h] }, { name: `num${i}_b`, shape: [h] });
      d = h;
    });
    numOut = d;
  }
  let d = s.embDim + numOut;
  s.fcHidden.forEach((h, i) => {
    out.push({ name: `fc${i}_w`, shape: [d, h] }, { name: `fc${i}_b`, shape: [h] });
    d = h;
  });
  out.push({ name: 'out_w', shape: [d, s.outDim] }, { name: 'out_b', shape: [s.outDim] });
  return out;
}

/** The number of values of a tensor of this shape. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((x, y) => x * y, 1);
}
