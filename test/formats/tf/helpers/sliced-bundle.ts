// SPDX-License-Identifier: Apache-2.0
/** Test-only writer of a TensorBundle holding a partitioned tensor (slice records + full entry). */
import fs from 'node:fs';
import { crc32cSync, maskCrc32c } from '../../../../src/kernels/index.js';
import { messageCodec } from '../../../../src/proto/index.js';
import { encodeSliceKey, extractSlice, type SliceExtent } from '../../../../src/formats/tensorbundle/slices.js';
import { buildTable } from './bundle-writer.js';

/** Options of {@link writeSlicedBundle}. */
export interface SlicedTensor {
  key: string;
  /** DataType enum value */
  dtype: number;
  shape: number[];
  /** row-major bytes of the full tensor */
  full: Uint8Array;
  width: number;
  /** extents of each slice (length -1 = whole dim in the key and proto) */
  slices: SliceExtent[][];
  /** corrupt a slice record: 'crc' (wrong checksum), 'shape' (wrong shape), 'missing' (no record) */
  corrupt?: { slice: number; kind: 'crc' | 'shape' | 'missing' };
}

/** Writes `<prefix>.index` + `<prefix>.data-00000-of-00001` with the sliced tensors. */
export function writeSlicedBundle(prefix: string, tensors: SlicedTensor[]): void {
  const entry = messageCodec('tensorflow.BundleEntryProto');
  const shape = (dims: number[]) => messageCodec('tensorflow.TensorShapeProto').create({ dim: dims.map((d) => messageCodec('tensorflow.TensorShapeProto.Dim').create({ size: BigInt(d) })) });
  const records: { key: Uint8Array; value: Uint8Array }[] = [];
  const data: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const protoSlices = [];
    for (const [i, ext] of t.slices.entries()) {
      const resolved = ext.map((e, d) => ({ start: e.start, length: e.length === -1 ? t.shape[d]! - e.start : e.length }));
      const bytes = extractSlice(t.full, t.shape, resolved, t.width);
      const bad = t.corrupt?.slice === i ? t.corrupt.kind : null;
      const sliceShape = resolved.map((e) => e.length);
      if (bad === 'shape') sliceShape[0]! += 1;
      const e = entry.create({
        dtype: t.dtype,
        shape: shape(sliceShape),
        shardId: 0,
        offset: BigInt(offset),
        size: BigInt(bytes.length),
        crc32c: maskCrc32c(crc32cSync(bytes)) ^ (bad === 'crc' ? 1 : 0),
      });
      data.push(bytes);
      offset += bytes.length;
      if (bad !== 'missing') records.push({ key: encodeSliceKey(t.key, ext), value: entry.encode(e) });
      protoSlices.push(
        messageCodec('tensorflow.TensorSliceProto').create({
          extent: ext.map((x) => messageCodec('tensorflow.TensorSliceProto.Extent').create(x.length === -1 ? { start: BigInt(x.start) } : { start: BigInt(x.start), length: BigInt(x.length) })),
        }),
      );
    }
    records.push({ key: new TextEncoder().encode(t.key), value: entry.encode(entry.create({ dtype: t.dtype, shape: shape(t.shape), slices: protoSlices })) });
  }
  const header = messageCodec('tensorflow.BundleHeaderProto');
  records.push({ key: new Uint8Array(0), value: header.encode(header.create({ numShards: 1, version: messageCodec('tensorflow.VersionDef').create({ producer: 1 }) })) });
  records.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  fs.writeFileSync(`${prefix}.index`, buildTable(records));
  fs.writeFileSync(`${prefix}.data-00000-of-00001`, Buffer.concat(data));
}
