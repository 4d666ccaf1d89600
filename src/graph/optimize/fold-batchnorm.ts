// SPDX-License-Identifier: Apache-2.0
/**
 * Folds inference batch normalization into the weights of the preceding `Conv2D`,
 * `DepthwiseConv2dNative` or `MatMul` (tensorflowjs_converter's `fold_batch_norms` plus the
 * `Mul`/`Add` form grappler leaves of `tf.nn.batch_normalization`):
 *
 * - `base [-> BiasAdd|Add|AddV2 (const bias)] -> FusedBatchNorm|V2|V3 (is_training false,
 *   const scale/offset/mean/variance)`: `scale = gamma / sqrt(var + eps)`,
 *   `offset = beta - (mean - bias) * scale` (MatMul only in this form when the BN is 2-D);
 * - `base [-> BiasAdd|Add|AddV2 (const bias)] -> Mul (const per-channel c) -> Add|AddV2 (const
 *   per-channel b)`: `scale = c`, `offset = bias * c + b`.
 *
 * The base op's filter becomes a new Const `<base>_weights` (multiplied per output channel:
 * Conv2D last axis, depthwise channel `in * multiplier + m`, MatMul output column) and the
 * normalization is replaced by `BiasAdd(base, <base>_bn_offset)` named after its last node.
 * Every intermediate node must feed only the next one and not be a graph output.
 */
import type { IrNode } from '../../ir/types.js';
import { attr } from '../../ir/attrs.js';
import { DataType } from '../../proto/types.generated.js';
import { consumersOf, freshName, protectedNodes, readConst, setConst, stringAttr, type OptGraph } from './graph.js';

const BASES = new Set(['Conv2D', 'DepthwiseConv2dNative', 'MatMul']);
const BIAS_OPS = new Set(['BiasAdd', 'Add', 'AddV2']);
const BN_OPS = new Set(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3']);

/** Output channels of a base op's filter and how a flat filter index maps to its channel. */
function channelsOf(base: IrNode, shape: number[]): { count: number; channel: (k: number) => number } | undefined {
  if (base.op === 'MatMul') {
    if (shape.length !== 2) return undefined;
    const tb = base.attrs.get('transpose_b');
    if (tb?.kind === 'b' && tb.value) return { count: shape[0], channel: (k) => Math.floor(k / shape[1]) };
    return { count: shape[1], channel: (k) => k % shape[1] };
  }
  if (shape.length !== 4) return undefined;
  if (base.op === 'Conv2D') return { count: shape[3], channel: (k) => k % shape[3] };
  const c = shape[2] * shape[3];
  return { count: c, channel: (k) => k % c };
}

/** Per-channel values of a const of `count` elements or a scalar (trailing size-1 dims allowed). */
function perChannel(values: ArrayLike<number>, shape: number[], count: number): Float64Array | undefined {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 1) return new Float64Array(count).fill(values[0]);
  if (n !== count || shape.length === 0 || shape[shape.length - 1] !== count) return undefined;
  return Float64Array.from(values);
}

function onlyConsumer(g: OptGraph, name: string): IrNode | undefined {
  const cs = consumersOf(g, name);
  if (cs.length !== 1 || cs[0].node.inputs.some((i) => i.control && i.node === name)) return undefined;
  for (const n of g.nodes.values()) if (n.inputs.some((i) => i.control && i.node === name)) return undefined;
  return cs[0].node;
}

function otherInput(n: IrNode, from: string): string | undefined {
  const data = n.inputs.filter((i) => !i.control);
  if (data.length !== 2) return undefined;
  const o = data[0].node === from ? data[1] : data[1].node === from ? data[0] : undefined;
  return o && o.output === 0 ? o.node : undefined;
}

async function tryFold(g: OptGraph, base: IrNode, keep: Set<string>): Promise<boolean> {
  if (keep.has(base.name) || stringAttr(base, 'data_format') === 'NCHW') return false;
  const data = base.inputs.filter((i) => !i.control);
  if (data.length !== 2 || base.attrs.get('T')?.kind !== 'type' || (base.attrs.get('T') as { value: number }).value !== DataType.DT_FLOAT) return false;
  const filterName = data[1].node;
  // Decide from the filter's shape first: its values are read (one copy of the largest
  // tensors of a model) only once a foldable normalization is known to follow.
  const filterWeight = g.weights.get(filterName);
  if (!filterWeight || g.nodes.get(filterName)?.op !== 'Const' || filterWeight.dataType !== DataType.DT_FLOAT || data[1].output !== 0) return false;
  const ch = channelsOf(base, filterWeight.shape);
  if (!ch) return false;
  const chain: IrNode[] = [];
  let cur = onlyConsumer(g, base.name);
  let bias: Float64Array = new Float64Array(ch.count);
  if (cur && BIAS_OPS.has(cur.op) && !keep.has(cur.name)) {
    const bn = otherInput(cur, base.name);
    const bv = bn ? await readConst(g, bn) : undefined;
    const b = bv && bv.dataType === DataType.DT_FLOAT ? perChannel(bv.values, bv.shape, ch.count) : undefined;
    if (b && (cur.op === 'BiasAdd' || bv!.shape.length <= 1)) {
      bias = b;
      chain.push(cur);
      cur = onlyConsumer(g, cur.name);
    }
  }
  if (!cur) return false;
  let scale: Float64Array | undefined;
  let offset: Float64Array | undefined;
  let last: IrNode | undefined;
  if (BN_OPS.has(cur.op)) {
    const it = cur.attrs.get('is_training');
    if (it?.kind === 'b' && it.value) return false;
    if (stringAttr(cur, 'data_format') === 'NCHW') return false;
    const prev = chain.length ? chain[chain.length - 1].name : base.name;
    const bnIn = cur.inputs.filter((i) => !i.control);
    if (bnIn.length < 5 || bnIn[0].node !== prev) return false;
    if (consumersOf(g, cur.name).some((c) => c.node.inputs[c.index].output !== 0)) return false;
    const ps = [];
    for (const i of bnIn.slice(1, 5)) {
      const v = i.output === 0 ? await readConst(g, i.node) : undefined;
      const pc = v && v.dataType === DataType.DT_FLOAT ? perChannel(v.values, v.shape, ch.count) : undefined;
      if (!pc) return false;
      ps.push(pc);
    }
    const [gamma, beta, mean, variance] = ps;
    const epsA = cur.attrs.get('epsilon');
    const eps = epsA?.kind === 'f' ? epsA.value : 1e-4;
    scale = gamma.map((gm, c) => gm / Math.sqrt(variance[c] + eps));
    offset = beta.map((bt, c) => bt - (mean[c] - bias[c]) * scale![c]);
    last = cur;
  } else if (cur.op === 'Mul' && !keep.has(cur.name)) {
    const prev = chain.length ? chain[chain.length - 1].name : base.name;
    const cn = otherInput(cur, prev);
    const cv = cn ? await readConst(g, cn) : undefined;
    const c = cv && cv.dataType === DataType.DT_FLOAT && cv.shape.length <= 1 ? perChannel(cv.values, cv.shape, ch.count) : undefined;
    if (!c) return false;
    const add = onlyConsumer(g, cur.name);
    if (!add || (add.op !== 'Add' && add.op !== 'AddV2')) return false;
    const an = otherInput(add, cur.name);
    const av = an ? await readConst(g, an) : undefined;
    const b = av && av.dataType === DataType.DT_FLOAT && av.shape.length <= 1 ? perChannel(av.values, av.shape, ch.count) : undefined;
    if (!b) return false;
    chain.push(cur);
    scale = c;
    offset = b.map((bv, k) => bias[k] * c[k] + bv);
    last = add;
  } else return false;
  if (!scale || !offset || !last) return false;
  const filter = await readConst(g, filterName);
  if (!filter || filter.dataType !== DataType.DT_FLOAT) return false;
  const newFilter = Float32Array.from(filter.values, (v, k) => v * scale![ch.channel(k)]);
  const wName = freshName(g, `${base.name}_weights`);
  setConst(g, wName, DataType.DT_FLOAT, filter.shape, newFilter);
  const oName = freshName(g, `${base.name}_bn_offset`);
  setConst(g, oName, DataType.DT_FLOAT, [ch.count], offset);
  base.inputs = base.inputs.map((i, k) => (k === 1 && !i.control ? { node: wName, output: 0, control: false } : i));
  const controls = [...chain, last].flatMap((n) => n.inputs.filter((i) => i.control));
  const replacement: IrNode = {
    name: last.name,
    op: 'BiasAdd',
    inputs: [{ node: base.name, output: 0, control: false }, { node: oName, output: 0, control: false }, ...controls],
    device: last.device,
    attrs: new Map([['T', attr.type(DataType.DT_FLOAT)], ['data_format', attr.string('NHWC')]]),
  };
  for (const n of chain) g.nodes.delete(n.name);
  g.nodes.set(last.name, replacement);
  return true;
}

/**
 * Runs the pass.
 * @returns the number of normalizations folded
 */
export async function foldBatchNorms(g: OptGraph): Promise<number> {
  const keep = protectedNodes(g);
  let folded = 0;
  for (const base of [...g.nodes.values()]) {
    if (!BASES.has(base.op) || !g.nodes.has(base.name)) continue;
    if (await tryFold(g, base, keep)) folded++;
  }
  return folded;
}
