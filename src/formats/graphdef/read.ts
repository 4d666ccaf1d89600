// SPDX-License-Identifier: Apache-2.0
/** Reader of frozen GraphDef `.pb` files (`tf_frozen_model`). */
import fs from 'node:fs/promises';
import { FormatError, IoError } from '../../errors.js';
import { messageCodec } from '../../proto/schema.js';
import type { GraphDef } from '../../proto/types.generated.js';
import {
  checkGraphNodes,
  constantWeights,
  graphOpHistograms,
  placeholders,
  sinkNodes,
  summarizeWeights,
  type GraphOpHistograms,
  type GraphTensorSpec,
  type WeightsSummary,
} from './graph.js';

/** Protobuf messages are limited to 2 GiB. */
export const MAX_PROTO_FILE_BYTES = 2 ** 31 - 1;

/** What {@link readGraphDef} returns. */
export interface FrozenGraph {
  file: string;
  /** the decoded GraphDef (unknown fields kept) */
  graphDef: GraphDef;
  /** versions.producer (GraphDef version of the writer), or the deprecated `version` field */
  producer: number;
  minConsumer: number;
  nodeCount: number;
  ops: GraphOpHistograms;
  /** Placeholder nodes */
  inputs: GraphTensorSpec[];
  /** node names nothing consumes (likely outputs) */
  outputs: string[];
  /** Const nodes as weights */
  weights: WeightsSummary;
}

/**
 * Reads a whole protobuf file (bounded by the 2 GiB protobuf limit).
 * @throws IoError when unreadable; FormatError when too large
 */
export async function readProtoFile(file: string): Promise<Uint8Array> {
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError(code === 'ENOENT' ? 'ERR_TFEXPORT_FILE_NOT_FOUND' : 'ERR_TFEXPORT_IO', `${file}: ${(e as Error).message}`, { file });
  }
  if (size > MAX_PROTO_FILE_BYTES) {
    throw new FormatError('ERR_TFEXPORT_PROTO_TOO_LARGE', `${file}: ${size} bytes exceeds the 2 GiB protobuf limit`, { file });
  }
  return new Uint8Array(await fs.readFile(file));
}

/**
 * Decodes GraphDef bytes and checks that they look like a graph (nodes with names and ops, no
 * unknown top-level fields).
 * @param bytes serialized GraphDef
 * @param file named in errors
 * @throws FormatError `ERR_TFEXPORT_PROTO_DECODE` / `ERR_TFEXPORT_GRAPHDEF`
 */
export function decodeGraphDef(bytes: Uint8Array, file: string): GraphDef {
  const graphDef = messageCodec('tensorflow.GraphDef').decode(bytes, { file });
  if (graphDef.$unknown?.length) {
    throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${file}: not a GraphDef (${graphDef.$unknown.length} top-level fields GraphDef does not have)`, { file });
  }
  checkGraphNodes(graphDef, file);
  return graphDef;
}

/**
 * Reads a frozen GraphDef: nodes, op histogram, Placeholders as inputs, sinks as outputs and the
 * Const weights.
 * @param file path of the `.pb` file
 * @throws IoError / FormatError naming the file
 * @example
 * ```ts
 * const g = await readGraphDef('frozen.pb');
 * console.log(g.inputs, g.outputs, g.ops.graph);
 * ```
 */
export async function readGraphDef(file: string): Promise<FrozenGraph> {
  const graphDef = decodeGraphDef(await readProtoFile(file), file);
  if (graphDef.node.length === 0) throw new FormatError('ERR_TFEXPORT_GRAPHDEF', `${file}: GraphDef has no nodes`, { file });
  return {
    file,
    graphDef,
    producer: graphDef.versions?.producer ?? graphDef.version,
    minConsumer: graphDef.versions?.minConsumer ?? 0,
    nodeCount: graphDef.node.length,
    ops: graphOpHistograms(graphDef),
    inputs: placeholders(graphDef),
    outputs: sinkNodes(graphDef),
    weights: summarizeWeights('constants', constantWeights(graphDef)),
  };
}
