// SPDX-License-Identifier: Apache-2.0
/**
 * Folds tiny subgraphs whose data inputs are all constants into `Const` nodes (a small subset
 * of grappler's constfold): `Shape` of a statically shaped input, `Reshape`, `Cast`, `Pack`,
 * `ConcatV2`, `StridedSlice` (begin/end/shrink masks on any rank, no ellipsis or new-axis),
 * `Add`/`AddV2`/`Sub`/`Mul`/`RealDiv`/`Maximum` (with broadcasting), `Neg`, `Rsqrt`, `Sqrt`, `Squeeze`, `ExpandDims` and `Identity` of constants; only when
 * every input and the result have at most {@link MAX_FOLD_ELEMENTS} elements. Other ops stay.
 * Protected nodes (graph outputs) are never replaced.
 */
import type { IrNode } from '../../ir/types.js';
import { DataType } from '../../proto/types.generated.js';
import { numElements, prefetchConsts, protectedNodes, readConst, setConst, type ConstValue, type OptGraph } from './graph.js';
import { ConsumerIndex } from '../work-graph.js';

/** Largest tensor (elements) the pass reads or produces. */
export const MAX_FOLD_ELEMENTS = 4096;

const FOLDABLE = new Set(['Shape', 'Reshape', 'Cast', 'Pack', 'ConcatV2', 'StridedSlice', 'Add', 'AddV2', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Neg', 'Rsqrt', 'Sqrt', 'Identity', 'Squeeze', 'ExpandDims']);
const NUMERIC = new Set<number>([DataType.DT_FLOAT, DataType.DT_INT32, DataType.DT_INT64, DataType.DT_BOOL]);

function intAttr(n: IrNode, name: string): number {
  const v = n.attrs.get(name);
  return v?.kind === 'i' ? Number(v.value) : 0;
}
function typeAttr(n: IrNode, name: string): number | undefined {
  const v = n.attrs.get(name);
  return v?.kind === 'type' ? v.value : undefined;
}

function castValues(dataType: number, values: ArrayLike<number>): number[] {
  const out = Array.from(values);
  if (dataType === DataType.DT_INT32 || dataType === DataType.DT_INT64) return out.map((v) => Math.trunc(v));
  if (dataType === DataType.DT_BOOL) return out.map((v) => (v ? 1 : 0));
  if (dataType === DataType.DT_FLOAT) return out.map((v) => Math.fround(v));
  return out;
}

function broadcastShape(a: number[], b: number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = 0; k < r; k++) {
    const da = a[a.length - r + k] ?? 1;
    const db = b[b.length - r + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(Math.max(da, db));
  }
  return out;
}

function broadcastIndex(flat: number, out: number[], shape: number[]): number {
  let idx = 0;
  let stride = 1;
  let rem = flat;
  const off = out.length - shape.length;
  for (let k = out.length - 1; k >= 0; k--) {
    const c = rem % out[k];
    rem = Math.floor(rem / out[k]);
    const sk = k - off;
    if (sk < 0) continue;
    idx += (shape[sk] === 1 ? 0 : c) * stride;
    stride *= shape[sk];
  }
  return idx;
}

/** How operand elements map to output elements: 1 one to one, 0 a single element, -1 broadcast. */
function operandMode(values: ArrayLike<number>, shape: number[], n: number): 1 | 0 | -1 {
  const m = numElements(shape);
  // Equal counts mean equal dims (broadcasting only widens size-1 dims), so equal flat indexes.
  if (m === n) return 1;
  return m === 1 && values.length >= 1 ? 0 : -1;
}

function binary(op: string, a: ConstValue, b: ConstValue): ConstValue | undefined {
  if (a.dataType !== b.dataType) return undefined;
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape || numElements(shape) > MAX_FOLD_ELEMENTS) return undefined;
  const n = numElements(shape);
  const ma = operandMode(a.values, a.shape, n);
  const mb = operandMode(b.values, b.shape, n);
  const dt = a.dataType;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const x = a.values[ma === 1 ? k : ma === 0 ? 0 : broadcastIndex(k, shape, a.shape)];
    const y = b.values[mb === 1 ? k : mb === 0 ? 0 : broadcastIndex(k, shape, b.shape)];
    const v = op === 'Sub' ? x - y : op === 'Mul' ? x * y : op === 'RealDiv' ? x / y : op === 'Maximum' ? Math.max(x, y) : x + y;
    // as castValues does
    out[k] = dt === DataType.DT_FLOAT ? Math.fround(v) : dt === DataType.DT_INT32 || dt === DataType.DT_INT64 ? Math.trunc(v) : dt === DataType.DT_BOOL ? (v ? 1 : 0) : v;
  }
  return { dataType: dt, shape, values: out };
}

function stridedSlice(n: IrNode, x: ConstValue, begin: ConstValue, end: ConstValue, strides: ConstValue): ConstValue | undefined {
  if (intAttr(n, 'ellipsis_mask') || intAttr(n, 'new_axis_mask')) return undefined;
  const bm = intAttr(n, 'begin_mask'), em = intAttr(n, 'end_mask'), sm = intAttr(n, 'shrink_axis_mask');
  const rank = x.shape.length;
  const m = begin.values.length;
  const starts: number[] = [], sizes: number[] = [], steps: number[] = [], outShape: number[] = [];
  for (let d = 0; d < rank; d++) {
    const dim = x.shape[d];
    if (d >= m) {
      starts.push(0); steps.push(1); sizes.push(dim); outShape.push(dim);
      continue;
    }
    const step = strides.values[d];
    if (step === 0) return undefined;
    if (sm & (1 << d)) {
      let b = begin.values[d];
      if (b < 0) b += dim;
      if (b < 0 || b >= dim) return undefined;
      starts.push(b); steps.push(1); sizes.push(1);
      continue;
    }
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let b = bm & (1 << d) ? (step > 0 ? 0 : dim - 1) : begin.values[d];
    let e = em & (1 << d) ? (step > 0 ? dim : -1) : end.values[d];
    if (!(bm & (1 << d))) b = step > 0 ? clamp(b < 0 ? b + dim : b, 0, dim) : clamp(b < 0 ? b + dim : b, -1, dim - 1);
    if (!(em & (1 << d))) e = step > 0 ? clamp(e < 0 ? e + dim : e, 0, dim) : clamp(e < 0 ? e + dim : e, -1, dim - 1);
    const count = Math.max(0, Math.ceil((e - b) / step));
    starts.push(b); steps.push(step); sizes.push(count); outShape.push(count);
  }
  const total = numElements(sizes);
  const strideOf = x.shape.map((_, d) => numElements(x.shape.slice(d + 1)));
  const out = new Array<number>(total);
  for (let k = 0; k < total; k++) {
    let rem = k, src = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const c = rem % sizes[d];
      rem = Math.floor(rem / sizes[d]);
      src += (starts[d] + c * steps[d]) * strideOf[d];
    }
    out[k] = x.values[src];
  }
  return { dataType: x.dataType, shape: outShape, values: Float64Array.from(out) };
}

async function evaluate(g: OptGraph, n: IrNode): Promise<ConstValue | undefined> {
  const data = n.inputs.filter((i) => !i.control);
  if (n.op === 'Shape') {
    if (data.length !== 1 || data[0].output !== 0) return undefined;
    const src = g.nodes.get(data[0].node);
    let shape: number[] | undefined;
    if (src?.op === 'Const') shape = g.weights.get(src.name)?.shape;
    else if (src && (src.op === 'Placeholder')) {
      const s = src.attrs.get('shape');
      if (s?.kind === 'shape' && s.value && s.value.every((d) => d >= 0)) shape = s.value;
    }
    if (!shape) return undefined;
    const outType = typeAttr(n, 'out_type') ?? DataType.DT_INT32;
    return { dataType: outType, shape: [shape.length], values: Float64Array.from(shape) };
  }
  if (data.some((d) => d.output !== 0 || g.nodes.get(d.node)?.op !== 'Const')) return undefined;
  const vals: ConstValue[] = [];
  for (const d of data) {
    const v = await readConst(g, d.node, MAX_FOLD_ELEMENTS);
    if (!v) return undefined;
    vals.push(v);
  }
  switch (n.op) {
    case 'Identity':
      return vals[0];
    case 'Squeeze': {
      const d = n.attrs.get('squeeze_dims');
      const dims = d?.kind === 'list' ? d.value.i.map((v) => (Number(v) < 0 ? Number(v) + vals[0].shape.length : Number(v))) : [];
      const shape = vals[0].shape.filter((s, k) => (dims.length ? !dims.includes(k) : s !== 1));
      return { ...vals[0], shape };
    }
    case 'ExpandDims': {
      const [x, a] = vals;
      const axis = a.values[0] < 0 ? a.values[0] + x.shape.length + 1 : a.values[0];
      return { ...x, shape: [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)] };
    }
    case 'Neg':
      return { ...vals[0], values: Float64Array.from(vals[0].values, (v) => -v) };
    case 'Rsqrt':
    case 'Sqrt':
      if (vals[0].dataType !== DataType.DT_FLOAT) return undefined;
      return { ...vals[0], values: Float64Array.from(vals[0].values, (v) => Math.fround(n.op === 'Sqrt' ? Math.sqrt(v) : 1 / Math.sqrt(v))) };
    case 'Cast': {
      const to = typeAttr(n, 'DstT');
      if (to === undefined || !NUMERIC.has(to)) return undefined;
      return { dataType: to, shape: vals[0].shape, values: Float64Array.from(castValues(to, vals[0].values)) };
    }
    case 'Reshape': {
      const [x, s] = vals;
      const shape = Array.from(s.values);
      const known = shape.filter((d) => d !== -1);
      const total = numElements(x.shape);
      if (shape.filter((d) => d === -1).length > 1) return undefined;
      const fixed = shape.map((d) => (d === -1 ? total / Math.max(1, numElements(known)) : d));
      if (numElements(fixed) !== total || fixed.some((d) => !Number.isInteger(d))) return undefined;
      return { ...x, shape: fixed };
    }
    case 'Pack': {
      const axisRaw = intAttr(n, 'axis');
      if (!vals.length || vals.some((v) => v.dataType !== vals[0].dataType || v.shape.join() !== vals[0].shape.join())) return undefined;
      const axis = axisRaw < 0 ? axisRaw + vals[0].shape.length + 1 : axisRaw;
      const outer = numElements(vals[0].shape.slice(0, axis));
      const inner = numElements(vals[0].shape.slice(axis));
      const out: number[] = [];
      for (let o = 0; o < outer; o++) for (const v of vals) for (let k = 0; k < inner; k++) out.push(v.values[o * inner + k]);
      const shape = [...vals[0].shape.slice(0, axis), vals.length, ...vals[0].shape.slice(axis)];
      return { dataType: vals[0].dataType, shape, values: Float64Array.from(out) };
    }
    case 'ConcatV2': {
      const axisV = vals[vals.length - 1];
      const parts = vals.slice(0, -1);
      if (!parts.length || parts.some((v) => v.dataType !== parts[0].dataType || v.shape.length !== parts[0].shape.length)) return undefined;
      const rank = parts[0].shape.length;
      const axis = axisV.values[0] < 0 ? axisV.values[0] + rank : axisV.values[0];
      const outer = numElements(parts[0].shape.slice(0, axis));
      const out: number[] = [];
      for (let o = 0; o < outer; o++) {
        for (const v of parts) {
          const inner = numElements(v.shape.slice(axis));
          for (let k = 0; k < inner; k++) out.push(v.values[o * inner + k]);
        }
      }
      const shape = parts[0].shape.slice();
      shape[axis] = parts.reduce((a, v) => a + v.shape[axis], 0);
      return { dataType: parts[0].dataType, shape, values: Float64Array.from(out) };
    }
    case 'StridedSlice':
      return vals.length === 4 ? stridedSlice(n, vals[0], vals[1], vals[2], vals[3]) : undefined;
    case 'Add':
    case 'AddV2':
    case 'Sub':
    case 'Mul':
    case 'RealDiv':
    case 'Maximum':
      return vals.length === 2 ? binary(n.op, vals[0], vals[1]) : undefined;
    default:
      return undefined;
  }
}

/**
 * Runs the pass to a fixed point (a folded node may make its consumers foldable).
 * @returns the number of nodes folded
 */
export async function foldConstants(g: OptGraph): Promise<number> {
  const keep = protectedNodes(g);
  const users = new ConsumerIndex(g);
  let folded = 0;
  // A worklist instead of whole-graph rounds: after the first sweep only the consumers of
  // what was just folded can have become foldable.
  let queue: string[] = [...g.nodes.keys()];
  const inputs: string[] = [];
  for (const n of g.nodes.values()) if (FOLDABLE.has(n.op) && !keep.has(n.name)) for (const i of n.inputs) if (!i.control) inputs.push(i.node);
  prefetchConsts(g, inputs, MAX_FOLD_ELEMENTS);
  while (queue.length) {
    const next = new Set<string>();
    for (const name of queue) {
      const n = g.nodes.get(name);
      if (!n || !FOLDABLE.has(n.op) || keep.has(n.name)) continue;
      // Only single-output ops fold; control inputs are kept on the new Const.
      const v = await evaluate(g, n);
      if (!v || !NUMERIC.has(v.dataType) || numElements(v.shape) > MAX_FOLD_ELEMENTS) continue;
      const control = n.inputs.filter((i) => i.control);
      const c = setConst(g, n.name, v.dataType, v.shape, v.values, n.device);
      c.inputs = control;
      folded++;
      for (const u of users.data(n.name)) next.add(u.node.name);
    }
    queue = [...next];
  }
  return folded;
}
