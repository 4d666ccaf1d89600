// SPDX-License-Identifier: Apache-2.0
/**
 * Lazy weights of the graph IR: constructors over TensorBundle tensors, Const TensorProtos and
 * in-memory bytes, the string layout (TensorFlow's `EncodeStringList`) and conversion of a
 * weight's bytes to a TensorProto.
 */
import { FormatError, ValidationError } from '../errors.js';
import { decodeTensorProto, shapeFromProto } from '../formats/graphdef/graph.js';
import type { TensorBundle } from '../formats/tensorbundle/bundle.js';
import { extractSlice, type SliceExtent } from '../formats/tensorbundle/slices.js';
import { messageCodec } from '../proto/schema.js';
import type { TensorProto } from '../proto/types.generated.js';
import { DataType } from '../proto/types.generated.js';
import { dataTypeByteSize, dataTypeEnumName, dtypeName } from '../proto/dtypes.js';
import { shapeToProto } from './attrs.js';
import type { IrWeight, IrWeightSource } from './types.js';

/** True when weights of this DataType have a byte layout (fixed-width numeric, bool, string). */
export function hasWeightLayout(dataType: number): boolean {
  return dataTypeByteSize(dataType) !== null || dtypeName(dataType) === 'string';
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** Byte length of {@link encodeStringList}'s output. */
export function stringListByteLength(strings: readonly Uint8Array[]): number {
  let n = 0;
  for (const s of strings) n += varintLength(s.length) + s.length;
  return n;
}

/** TensorFlow's `EncodeStringList`: every length as a varint, then all bytes. */
export function encodeStringList(strings: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(stringListByteLength(strings));
  let p = 0;
  for (const s of strings) {
    let v = s.length;
    while (v >= 128) {
      out[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    out[p++] = v;
  }
  for (const s of strings) {
    out.set(s, p);
    p += s.length;
  }
  return out;
}

/**
 * Decodes {@link encodeStringList} bytes holding `count` strings (views into `bytes`).
 * @throws FormatError `ERR_TFEXPORT_TENSOR` when the bytes do not hold exactly `count` strings
 */
export function decodeStringList(bytes: Uint8Array, count: number, where = 'string weight'): Uint8Array[] {
  const lengths = new Array<number>(count);
  let p = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let scale = 1, j = 0; ; j++, scale *= 128) {
      if (p >= bytes.length || j >= 10) throw new FormatError('ERR_TFEXPORT_TENSOR', `${where}: string length ${i} is truncated`, { field: where });
      const b = bytes[p++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) break;
    }
    lengths[i] = v;
  }
  const out = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) {
    const len = lengths[i]!;
    if (len > bytes.length - p) throw new FormatError('ERR_TFEXPORT_TENSOR', `${where}: string ${i} runs past the end`, { field: where });
    out[i] = bytes.subarray(p, p + len);
    p += len;
  }
  if (p !== bytes.length) throw new FormatError('ERR_TFEXPORT_TENSOR', `${where}: ${bytes.length - p} bytes after the last string`, { field: where });
  return out;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

function checkedDtype(name: string, dataType: number) {
  const dtype = dtypeName(dataType);
  if (!dtype || !hasWeightLayout(dataType)) {
    throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `weight ${JSON.stringify(name)}: dtype ${dataTypeEnumName(dataType)} has no byte layout`, { field: name });
  }
  return dtype;
}

/** Strips the 4-byte length checksum from a TensorBundle DT_STRING tensor's verified bytes. */
function bundleStringToList(bytes: Uint8Array, count: number): Uint8Array {
  let p = 0;
  for (let i = 0; i < count; i++) while (bytes[p++]! >= 0x80);
  const out = new Uint8Array(bytes.length - 4);
  out.set(bytes.subarray(0, p));
  out.set(bytes.subarray(p + 4), p);
  return out;
}

/**
 * A weight read from a TensorBundle tensor (partitioned tensors are assembled), optionally a
 * slice of it (TF1 partitioned variables: `extents` of the full tensor).
 * @param name the Const node's name
 * @param bundle an open bundle (must stay open until the weight is read)
 * @param key the bundle key
 * @param extents when set, the weight is this slice of the tensor
 */
export function bundleWeight(name: string, bundle: TensorBundle, key: string, extents?: readonly SliceExtent[]): IrWeight {
  const entry = bundle.entry(key);
  const dtype = checkedDtype(name, entry.dataType);
  const source: IrWeightSource = { kind: 'bundle', prefix: bundle.prefix, key };
  if (extents) {
    const width = dataTypeByteSize(entry.dataType);
    if (width === null) throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `weight ${JSON.stringify(name)}: cannot slice a ${dtype} tensor`, { field: name });
    const shape = extents.map((e) => e.length);
    return {
      name, dtype, dataType: entry.dataType, shape, byteLength: elementCount(shape) * width, source,
      async read() {
        return extractSlice(await bundle.readBytes(key), entry.shape, extents, width);
      },
    };
  }
  const count = elementCount(entry.shape);
  const width = dataTypeByteSize(entry.dataType);
  const isString = width === null;
  return {
    name,
    dtype,
    dataType: entry.dataType,
    shape: entry.shape.slice(),
    // a bundle string tensor is the string list plus a 4-byte checksum of the lengths
    byteLength: isString ? entry.size - 4 : count * width,
    source,
    async read() {
      const bytes = await bundle.readBytes(key);
      return isString ? bundleStringToList(bytes, count) : bytes;
    },
    ...(isString || entry.sliced ? {} : { openStream: () => bundle.openStream(key) }),
  };
}

/**
 * A weight holding a Const node's TensorProto: `tensor_content` is returned as a view; `*_val`
 * encodings are materialized on each read.
 * @param where file and node named in errors and in the weight's source
 */
export function tensorProtoWeight(name: string, tensor: TensorProto, where: { file: string; node: string }): IrWeight {
  const dtype = checkedDtype(name, tensor.dtype);
  const shape = shapeFromProto(tensor.tensorShape ?? { dim: [], unknownRank: false });
  if (!shape || shape.some((d) => d < 0)) {
    throw new FormatError('ERR_TFEXPORT_TENSOR', `${where.file}: Const ${JSON.stringify(where.node)} has shape ${JSON.stringify(shape)}, not fully known`, {
      file: where.file,
      field: where.node,
    });
  }
  const count = elementCount(shape);
  const width = dataTypeByteSize(tensor.dtype);
  const source: IrWeightSource = { kind: 'constant', file: where.file, node: where.node };
  const decode = () => decodeTensorProto(tensor, { file: where.file, field: where.node }, Number.MAX_SAFE_INTEGER);
  if (width === null) {
    // strings: the byte length needs the (splat-expanded) element lengths
    const strings = tensor.stringVal;
    let byteLength: number;
    if (strings.length === 0) byteLength = count; // `count` empty strings: one zero length byte each
    else {
      const last = strings[strings.length - 1]!;
      byteLength = stringListByteLength(strings) + Math.max(0, count - strings.length) * (varintLength(last.length) + last.length);
    }
    return {
      name, dtype, dataType: tensor.dtype, shape, byteLength, source,
      async read() {
        return encodeStringList(decode().data as Uint8Array[]);
      },
    };
  }
  const byteLength = count * width;
  if (tensor.tensorContent.length > 0 && tensor.tensorContent.length !== byteLength) {
    throw new FormatError('ERR_TFEXPORT_TENSOR', `${where.file}: Const ${JSON.stringify(where.node)}: tensor_content has ${tensor.tensorContent.length} bytes, dtype x shape needs ${byteLength}`, {
      file: where.file,
      field: where.node,
    });
  }
  return {
    name, dtype, dataType: tensor.dtype, shape, byteLength, source,
    async read() {
      if (tensor.tensorContent.length === byteLength) return tensor.tensorContent;
      const d = decode().data as ArrayBufferView;
      return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    },
  };
}

/**
 * A weight over bytes in memory (layout: see `types.ts`).
 * @throws ValidationError when the byte length does not match dtype x shape
 */
export function memoryWeight(name: string, dataType: number, shape: number[], bytes: Uint8Array): IrWeight {
  const dtype = checkedDtype(name, dataType);
  const width = dataTypeByteSize(dataType);
  if (width !== null && bytes.length !== elementCount(shape) * width) {
    throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `weight ${JSON.stringify(name)}: ${bytes.length} bytes for ${dtype}[${shape.join(', ')}]`, { field: name });
  }
  return { name, dtype, dataType, shape: shape.slice(), byteLength: bytes.length, source: { kind: 'memory' }, read: () => Promise.resolve(bytes) };
}

/** The same weight under another name (a renamed Const node). */
export function renamedWeight(w: IrWeight, name: string): IrWeight {
  const renamed: IrWeight = { name, dtype: w.dtype, dataType: w.dataType, shape: w.shape, byteLength: w.byteLength, source: w.source, read: () => w.read() };
  return w.openStream ? { ...renamed, openStream: () => w.openStream!() } : renamed;
}

/**
 * Builds the TensorProto of a weight's value: `tensor_content` for numeric dtypes, `string_val`
 * for strings.
 * @param w the weight (dtype, shape)
 * @param bytes what `w.read()` returned
 */
export function weightTensorProto(w: IrWeight, bytes: Uint8Array): TensorProto {
  const codec = messageCodec('tensorflow.TensorProto');
  const tensorShape = shapeToProto(w.shape);
  if (w.dataType === DataType.DT_STRING) {
    return codec.create({ dtype: w.dataType, tensorShape, stringVal: decodeStringList(bytes, elementCount(w.shape), `weight ${w.name}`) });
  }
  if (bytes.length !== w.byteLength) {
    throw new FormatError('ERR_TFEXPORT_TENSOR', `weight ${JSON.stringify(w.name)}: read ${bytes.length} bytes, expected ${w.byteLength}`, { field: w.name });
  }
  return codec.create({ dtype: w.dataType, tensorShape, tensorContent: bytes });
}

/** A TensorProto holding a scalar or small tensor given as numbers (for constants made by passes). */
export function smallTensorProto(dataType: number, shape: number[], values: readonly (number | bigint | boolean)[]): TensorProto {
  const codec = messageCodec('tensorflow.TensorProto');
  const tensorShape = shapeToProto(shape);
  switch (dataType) {
    case DataType.DT_INT32: return codec.create({ dtype: dataType, tensorShape, intVal: values.map(Number) });
    case DataType.DT_INT64: return codec.create({ dtype: dataType, tensorShape, int64Val: values.map((v) => BigInt(v)) });
    case DataType.DT_FLOAT: return codec.create({ dtype: dataType, tensorShape, floatVal: values.map(Number) });
    case DataType.DT_BOOL: return codec.create({ dtype: dataType, tensorShape, boolVal: values.map(Boolean) });
    default: throw new ValidationError('ERR_TFEXPORT_BAD_ARGUMENT', `smallTensorProto: unsupported dtype ${dataTypeEnumName(dataType)}`);
  }
}
