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
import { scalePerChannel, scalePerChannelSync } from '../../kernels/index.js';
import { freshName, protectedNodes, readConst, setConst, setConstBytes, stringAttr, type OptGraph } from './graph.js';
import { ConsumerIndex } from '../work-graph.js';

/** Candidate filters read ahead of the one being folded. */
const PREFETCH = 4;

/** At most this many bytes of filters are held by the read-ahead at once. */
const PREFETCH_BYTES = 32 << 20;

/** Filters below this many elements are scaled synchronously (a worker-pool hop costs more). */
const SYNC_ELEMENTS = 1 << 16;

/** Float32 view of little-endian bytes, copied only when they are not 4-byte aligned. */
async function readFloat32(bytes: Promise<Uint8Array>): Promise<Float32Array> {
  const b = await bytes;
  const own = b.byteOffset % 4 === 0 ? b : b.slice();
  return new Float32Array(own.buffer, own.byteOffset, own.byteLength >> 2);
}

const BASES = new Set(['Conv2D', 'DepthwiseConv2dNative', 'MatMul']);
const BIAS_OPS = new Set(['BiasAdd', 'Add', 'AddV2']);
const BN_OPS = new Set(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3']);

/**
 * The filter as `[outer, channels, inner]` around its output-channel axis (for
 * {@link scalePerChannel}): Conv2D HWIO `[H*W*I, O]`, depthwise `[H, W, C, M]` as
 * `[H*W, C*M]`, MatMul `[K, N]`, and MatMul with `transpose_b` (`[N, K]`) channels first.
 */
function channelsOf(base: IrNode, shape: number[]): { count: number; shape: number[]; axis: number } | undefined {
  if (base.op === 'MatMul') {
    if (shape.length !== 2) return undefined;
    const tb = base.attrs.get('transpose_b');
    if (tb?.kind === 'b' && tb.value) return { count: shape[0], shape: [shape[0], shape[1]], axis: 0 };
    return { count: shape[1], shape: [shape[0], shape[1]], axis: 1 };
  }
  if (shape.length !== 4) return undefined;
  if (base.op === 'Conv2D') return { count: shape[3], shape: [shape[0] * shape[1] * shape[2], shape[3]], axis: 1 };
  const c = shape[2] * shape[3];
  return { count: c, shape: [shape[0] * shape[1], c], axis: 1 };
}

/** Per-channel values of a const of `count` elements or a scalar (trailing size-1 dims allowed). */
function perChannel(values: ArrayLike<number>, shape: number[], count: number): Float64Array | undefined {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 1) return new Float64Array(count).fill(values[0]);
  if (n !== count || shape.length === 0 || shape[shape.length - 1] !== count) return undefined;
  return Float64Array.from(values);
}

function onlyConsumer(users: ConsumerIndex, name: string): IrNode | undefined {
  const cs = users.data(name);
  if (cs.length !== 1 || users.hasControl(name)) return undefined;
  return cs[0].node;
}

function otherInput(n: IrNode, from: string): string | undefined {
  const data = n.inputs.filter((i) => !i.control);
  if (data.length !== 2) return undefined;
  const o = data[0].node === from ? data[1] : data[1].node === from ? data[0] : undefined;
  return o && o.output === 0 ? o.node : undefined;
}

async function tryFold(g: OptGraph, base: IrNode, keep: Set<string>, users: ConsumerIndex, ahead?: Promise<Uint8Array>): Promise<boolean> {
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
  let cur = onlyConsumer(users, base.name);
  let bias: Float64Array = new Float64Array(ch.count);
  if (cur && BIAS_OPS.has(cur.op) && !keep.has(cur.name)) {
    const bn = otherInput(cur, base.name);
    const bv = bn ? await readConst(g, bn) : undefined;
    const b = bv && bv.dataType === DataType.DT_FLOAT ? perChannel(bv.values, bv.shape, ch.count) : undefined;
    if (b && (cur.op === 'BiasAdd' || bv!.shape.length <= 1)) {
      bias = b;
      chain.push(cur);
      cur = onlyConsumer(users, cur.name);
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
    if (users.data(cur.name).some((c) => c.node.inputs[c.index].output !== 0)) return false;
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
    const add = onlyConsumer(users, cur.name);
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
  const filter = await readFloat32(ahead ?? filterWeight.read());
  if (filter.length !== ch.shape[0] * ch.shape[1]) return false;
  const fopts = { scale, shape: ch.shape, axis: ch.axis };
  const newFilter = filter.length < SYNC_ELEMENTS ? scalePerChannelSync(filter, fopts) : await scalePerChannel(filter, fopts);
  const wName = freshName(g, `${base.name}_weights`);
  setConstBytes(g, wName, DataType.DT_FLOAT, filterWeight.shape.slice(), new Uint8Array(newFilter.buffer, newFilter.byteOffset, newFilter.byteLength));
  const oName = freshName(g, `${base.name}_bn_offset`);
  setConst(g, oName, DataType.DT_FLOAT, [ch.count], offset);
  base.inputs = base.inputs.map((i, k) => (k === 1 && !i.control ? { node: wName, output: 0, control: false } : i));
  users.touch(base);
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
  users.touch(replacement);
  return true;
}

/**
 * Runs the pass.
 * @returns the number of normalizations folded
 */
export async function foldBatchNorms(g: OptGraph): Promise<number> {
  const keep = protectedNodes(g);
  const users = new ConsumerIndex(g);
  const bases = [...g.nodes.values()].filter((n) => BASES.has(n.op));
  // The filters of the next few candidates are read ahead, so that their I/O overlaps the
  // work on the current one (a window, not the whole model: at most PREFETCH filters are held,
  // and one whose normalization turns out not to fold is dropped).
  const reads = new Map<IrNode, Promise<Uint8Array>>();
  const filterOf = (n: IrNode) => {
    const data = n.inputs.filter((i) => !i.control);
    const w = data.length === 2 && data[1].output === 0 && g.nodes.get(data[1].node)?.op === 'Const' ? g.weights.get(data[1].node) : undefined;
    return w && w.dataType === DataType.DT_FLOAT && !keep.has(n.name) ? w : undefined;
  };
  // Only filters followed by the shape of a foldable normalization are read ahead (a plain
  // Conv/MatMul + BiasAdd + activation is never read here), and only small ones: the
  // read-ahead must not add copies of a model's largest tensors.
  const structurallyFolds = (n: IrNode): boolean => {
    let c = onlyConsumer(users, n.name);
    if (c && BIAS_OPS.has(c.op)) c = onlyConsumer(users, c.name);
    return c !== undefined && (BN_OPS.has(c.op) || c.op === 'Mul');
  };
  const byteSize = (w: { shape: number[] }) => 4 * w.shape.reduce((a, b) => a * b, 1);
  const readAhead = (from: number) => {
    let held = 0;
    for (const [n] of reads) held += byteSize(filterOf(n) ?? { shape: [0] });
    for (let k = from; k < bases.length && k < from + PREFETCH; k++) {
      const n = bases[k]!;
      if (reads.has(n)) continue;
      const w = filterOf(n);
      if (!w || !structurallyFolds(n) || held + byteSize(w) > PREFETCH_BYTES) continue;
      held += byteSize(w);
      const p = w.read();
      p.catch(() => undefined); // reported when (and if) the fold awaits it
      reads.set(n, p);
    }
  };
  let folded = 0;
  for (let k = 0; k < bases.length; k++) {
    const base = bases[k]!;
    readAhead(k);
    const ahead = reads.get(base);
    reads.delete(base);
    if (!g.nodes.has(base.name)) continue;
    if (await tryFold(g, base, keep, users, ahead)) folded++;
  }
  return folded;
}
