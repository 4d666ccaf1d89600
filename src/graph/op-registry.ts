// SPDX-License-Identifier: Apache-2.0
/**
 * Output-argument layouts of ops: what FunctionDef bodies need to turn `node:out_arg:index`
 * references into flat graph output indices (`node:k`) and back.
 *
 * An op's outputs are its OpDef `output_arg`s in order; each arg is one tensor, or a list whose
 * length is an int attr (`number_attr`) or the length of a `list(type)` attr (`type_list_attr`).
 * The flat index of `node:arg:i` is the summed length of the args before `arg`, plus `i`.
 *
 * Knowledge comes from, in order:
 * 1. the library's FunctionDef signatures (a node whose op is a function name);
 * 2. the function-call and control-flow ops (`PartitionedCall`, `If`, `While`, `Case`...);
 * 3. OpDefs given to the registry (a MetaGraph's `stripped_op_list` lists every op it uses);
 * 4. a built-in table of common ops with several output args or list outputs
 *    ({@link BUILTIN_OUTPUT_ARGS});
 * 5. otherwise the op is assumed to have one single-tensor output arg, whose name is learned from
 *    the references seen in function bodies ({@link OpRegistry.learn}); seeing two different arg
 *    names for such an op is an error (its layout is unknown).
 */
import { FormatError, UnsupportedOpError } from '../errors.js';
import type { FunctionDef, OpDef } from '../proto/types.generated.js';
import { attrFromProto } from '../ir/attrs.js';
import type { IrAttrValue } from '../ir/types.js';

/**
 * How many tensors an output (or input) arg holds; -1: unknown (a learned arg of an op without
 * an OpDef, taken to hold every output of the node).
 */
export type ArgCount = number | { numberAttr: string } | { typeListAttr: string };

/** One output arg of an op. */
export interface OutputArgSpec {
  name: string;
  count: ArgCount;
}

/** A resolved output arg: name, first flat output index and length. */
export interface OutputArgLayout {
  name: string;
  start: number;
  count: number;
}

const one = (name: string): OutputArgSpec => ({ name, count: 1 });
const listN = (name: string, numberAttr: string): OutputArgSpec => ({ name, count: { numberAttr } });
const listT = (name: string, typeListAttr: string): OutputArgSpec => ({ name, count: { typeListAttr } });
const many = (...names: string[]): OutputArgSpec[] => names.map(one);

/**
 * Output args of common ops whose outputs are not a single tensor named by any name (taken from
 * the TF 2.21 OpDefs). Ops absent here and from the given OpDefs are assumed single-output.
 */
export const BUILTIN_OUTPUT_ARGS: Readonly<Record<string, readonly OutputArgSpec[]>> = {
  // lists
  Split: [listN('output', 'num_split')],
  SplitV: [listN('output', 'num_split')],
  Unpack: [listN('output', 'num')],
  ShapeN: [listN('output', 'N')],
  DynamicPartition: [listN('outputs', 'num_partitions')],
  IdentityN: [listT('output', 'T')],
  PartitionedCall: [listT('output', 'Tout')],
  StatefulPartitionedCall: [listT('output', 'Tout')],
  If: [listT('output', 'Tout')],
  StatelessIf: [listT('output', 'Tout')],
  Case: [listT('output', 'Tout')],
  StatelessCase: [listT('output', 'Tout')],
  While: [listT('output', 'T')],
  StatelessWhile: [listT('output', 'T')],
  For: [listT('output', 'T')],
  RemoteCall: [listT('output', 'Tout')],
  IteratorGetNext: [listT('components', 'output_types')],
  OptionalGetValue: [listT('components', 'output_types')],
  // several args
  Switch: many('output_false', 'output_true'),
  RefSwitch: many('output_false', 'output_true'),
  Merge: many('output', 'value_index'),
  RefMerge: many('output', 'value_index'),
  FusedBatchNorm: many('y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2'),
  FusedBatchNormV2: many('y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2'),
  FusedBatchNormV3: many('y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2', 'reserve_space_3'),
  _FusedBatchNormEx: many('y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2', 'reserve_space_3'),
  Unique: many('y', 'idx'),
  UniqueV2: many('y', 'idx'),
  UniqueWithCounts: many('y', 'idx', 'count'),
  UniqueWithCountsV2: many('y', 'idx', 'count'),
  TopK: many('values', 'indices'),
  TopKV2: many('values', 'indices'),
  ApproxTopK: many('values', 'indices'),
  ListDiff: many('out', 'idx'),
  BroadcastGradientArgs: many('r0', 'r1'),
  MaxPoolWithArgmax: many('output', 'argmax'),
  QuantizeV2: many('output', 'output_min', 'output_max'),
  QuantizedConv2D: many('output', 'min_output', 'max_output'),
  QuantizedMatMul: many('out', 'min_out', 'max_out'),
  QuantizedBiasAdd: many('output', 'min_out', 'max_out'),
  QuantizedRelu: many('activations', 'min_activations', 'max_activations'),
  QuantizedRelu6: many('activations', 'min_activations', 'max_activations'),
  QuantizedAdd: many('z', 'min_z', 'max_z'),
  QuantizedMul: many('z', 'min_z', 'max_z'),
  QuantizedAvgPool: many('output', 'min_output', 'max_output'),
  QuantizedMaxPool: many('output', 'min_output', 'max_output'),
  QuantizedReshape: many('output', 'output_min', 'output_max'),
  QuantizedConcat: many('output', 'output_min', 'output_max'),
  Requantize: many('output', 'output_min', 'output_max'),
  RequantizationRange: many('output_min', 'output_max'),
  CTCGreedyDecoder: many('decoded_indices', 'decoded_values', 'decoded_shape', 'log_probability'),
  NonMaxSuppressionV4: many('selected_indices', 'valid_outputs'),
  NonMaxSuppressionV5: many('selected_indices', 'selected_scores', 'valid_outputs'),
  CombinedNonMaxSuppression: many('nmsed_boxes', 'nmsed_scores', 'nmsed_classes', 'valid_detections'),
  Svd: many('s', 'u', 'v'),
  Qr: many('q', 'r'),
  SelfAdjointEigV2: many('e', 'v'),
  Eig: many('e', 'v'),
  Lu: many('lu', 'p'),
  LogMatrixDeterminant: many('sign', 'log_abs_determinant'),
  LSTMBlockCell: many('i', 'cs', 'f', 'o', 'ci', 'co', 'h'),
  BlockLSTM: many('i', 'cs', 'f', 'o', 'ci', 'co', 'h'),
  BlockLSTMV2: many('i', 'cs', 'f', 'o', 'ci', 'co', 'h'),
  GRUBlockCell: many('r', 'u', 'c', 'h'),
  CudnnRNN: many('output', 'output_h', 'output_c', 'reserve_space'),
  CudnnRNNV2: many('output', 'output_h', 'output_c', 'reserve_space', 'host_reserved'),
  CudnnRNNV3: many('output', 'output_h', 'output_c', 'reserve_space', 'host_reserved'),
  DecodeWav: many('audio', 'sample_rate'),
  StringSplit: many('indices', 'values', 'shape'),
  StringSplitV2: many('indices', 'values', 'shape'),
  SparseReshape: many('output_indices', 'output_shape'),
  SparseFillEmptyRows: many('output_indices', 'output_values', 'empty_row_indicator', 'reverse_index_map'),
  SparseSoftmaxCrossEntropyWithLogits: many('loss', 'backprop'),
  SoftmaxCrossEntropyWithLogits: many('loss', 'backprop'),
  SampleDistortedBoundingBox: many('begin', 'size', 'bboxes'),
  SampleDistortedBoundingBoxV2: many('begin', 'size', 'bboxes'),
  LookupTableExportV2: many('keys', 'values'),
  TensorArrayV3: many('handle', 'flow'),
  TensorArrayGradV3: many('grad_handle', 'flow_out'),
  TensorArrayConcatV3: many('value', 'lengths'),
  TensorListPopBack: many('output_handle', 'tensor'),
  StatelessRandomGetKeyCounter: many('key', 'counter'),
  StatelessRandomGetKeyCounterAlg: many('key', 'counter', 'alg'),
  RaggedRange: many('rt_nested_splits', 'rt_dense_values'),
  FakeQuantWithMinMaxVarsGradient: many('backprops_wrt_input', 'backprop_wrt_min', 'backprop_wrt_max'),
};

/** Output arg names of single-output ops this project creates (for FunctionDef serialization). */
const CREATED_OP_OUTPUTS: Readonly<Record<string, string>> = {
  Const: 'output',
  Identity: 'output',
  GatherV2: 'output',
  GatherNd: 'output',
  Shape: 'output',
  Placeholder: 'output',
  Enter: 'output',
  Exit: 'output',
  NextIteration: 'output',
};

/** Function-call ops: they call attr `f` with their inputs (inlined by the freeze pipeline). */
export const CALL_OPS = new Set(['PartitionedCall', 'StatefulPartitionedCall']);

function specsOfOpDef(op: OpDef): OutputArgSpec[] {
  return op.outputArg.map((a) => ({
    name: a.name,
    count: a.numberAttr ? { numberAttr: a.numberAttr } : a.typeListAttr ? { typeListAttr: a.typeListAttr } : 1,
  }));
}

/** Attr lookup used while computing layouts (after placeholder substitution). */
export type AttrLookup = (name: string) => IrAttrValue | undefined;

/** Output-arg knowledge for one graph and its library (see the module doc). */
export class OpRegistry {
  private readonly opDefs = new Map<string, OpDef>();
  private readonly learned = new Map<string, string>();

  /**
   * @param opDefs OpDefs to trust (e.g. `meta_info_def.stripped_op_list.op`)
   * @param library functions callable by name
   */
  constructor(
    opDefs: readonly OpDef[] = [],
    readonly library: ReadonlyMap<string, FunctionDef> = new Map(),
  ) {
    for (const op of opDefs) this.opDefs.set(op.name, op);
  }

  /** The output args of `op`, or null when the op is unknown (assumed single-output). */
  outputArgs(op: string): OutputArgSpec[] | null {
    const fn = this.library.get(op);
    if (fn?.signature) return specsOfOpDef(fn.signature);
    const builtin = BUILTIN_OUTPUT_ARGS[op];
    const def = this.opDefs.get(op);
    if (def) return specsOfOpDef(def);
    if (builtin) return [...builtin];
    const created = CREATED_OP_OUTPUTS[op];
    if (created) return [one(created)];
    const learned = this.learned.get(op);
    if (learned) return [{ name: learned, count: -1 }];
    return null;
  }

  /** Default value of an attr of `op` per its OpDef (or the function signature's attr list). */
  attrDefault(op: string, name: string): IrAttrValue | undefined {
    const def = this.library.get(op)?.signature ?? this.opDefs.get(op);
    const a = def?.attr.find((x) => x.name === name)?.defaultValue;
    return a ? attrFromProto(a) : undefined;
  }

  /** True when `op`'s single output arg name was only learned from references. */
  isLearned(op: string): boolean {
    return this.learned.has(op);
  }

  /**
   * Records that op `op` (unknown to the tables) has an output arg named `argName`.
   * @throws UnsupportedOpError `ERR_TFEXPORT_UNKNOWN_OP_OUTPUTS` when a second, different name
   *   shows up (the op has several output args and its layout is unknown)
   */
  learn(op: string, argName: string, where: string): void {
    if (this.outputArgs(op) !== null && !this.learned.has(op)) return;
    const prev = this.learned.get(op);
    if (prev === undefined) this.learned.set(op, argName);
    else if (prev !== argName) {
      throw new UnsupportedOpError(
        'ERR_TFEXPORT_UNKNOWN_OP_OUTPUTS',
        `${where}: op ${op} is referenced through output args ${JSON.stringify(prev)} and ${JSON.stringify(argName)}; its output layout is unknown (no OpDef for it in the model and not in the built-in table)`,
        { op, field: where },
      );
    }
  }

  /**
   * The resolved layout of a node's outputs, or null for an unknown op (single output).
   * @param op the node's op
   * @param lookup the node's attrs (after placeholder substitution)
   * @param where named in errors
   * @throws FormatError `ERR_TFEXPORT_GRAPH_ATTR` when a list length attr is missing
   */
  outputLayout(op: string, lookup: AttrLookup, where: string): OutputArgLayout[] | null {
    const specs = this.outputArgs(op);
    if (!specs) return null;
    const out: OutputArgLayout[] = [];
    let start = 0;
    for (const s of specs) {
      let count: number;
      if (typeof s.count === 'number') count = s.count < 0 ? Number.MAX_SAFE_INTEGER : s.count;
      else {
        const name = 'numberAttr' in s.count ? s.count.numberAttr : s.count.typeListAttr;
        const v = lookup(name) ?? this.attrDefault(op, name);
        if ('numberAttr' in s.count) {
          if (v?.kind !== 'i') throw new FormatError('ERR_TFEXPORT_GRAPH_ATTR', `${where}: op ${op} needs int attr ${name} for the length of output ${s.name}`, { field: where, op });
          count = Number(v.value);
        } else {
          if (v?.kind === 'none') count = 0;
          else if (v?.kind !== 'list') throw new FormatError('ERR_TFEXPORT_GRAPH_ATTR', `${where}: op ${op} needs list(type) attr ${name} for output ${s.name}`, { field: where, op });
          else count = v.value.type.length;
        }
      }
      out.push({ name: s.name, start, count });
      start += count;
    }
    return out;
  }
}
