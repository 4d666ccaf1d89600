// SPDX-License-Identifier: Apache-2.0
/** The graph IR (types, typed attrs, lazy weights, GraphDef conversion, invariant checks). */
export type * from './types.js';
export { attr, attrs, attrFromProto, attrToProto, attrsFromProto, attrsToProto, cloneAttr, cloneNode, emptyAttrList, shapeFromProto, shapeToProto } from './attrs.js';
export {
  bundleWeight,
  decodeStringList,
  encodeStringList,
  hasWeightLayout,
  memoryWeight,
  renamedWeight,
  smallTensorProto,
  stringListByteLength,
  tensorProtoWeight,
  weightTensorProto,
} from './weights.js';
export {
  fromGraphDef,
  toGraphDef,
  graphDefChunks,
  writeGraphDef,
  decodeGraphDefBytes,
  irOpHistogram,
  nodeFromProto,
  nodeToProto,
  parseInput,
  formatInput,
  parseTensorName,
  tensorName,
  type FromGraphDefOptions,
  type ToGraphDefOptions,
} from './graphdef.js';
export { validateGraphIR, graphIRProblems, functionsReferencedBy, functionsReferencedByAttrs } from './validate.js';
