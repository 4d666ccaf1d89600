// SPDX-License-Identifier: Apache-2.0
/** TensorBundle (TF checkpoint V2 / SavedModel variables) reading. */
export { openTensorBundle, bundleDataFile, decodeStrings } from './bundle.js';
export type { TensorBundle, TensorBundleEntry, BundleTensor, BundleTensorData, TensorByteStream } from './bundle.js';
export { readSSTable, parseBlock, SSTABLE_MAGIC, SSTABLE_FOOTER_SIZE } from './sstable.js';
export type { SSTable, SSTableRecord, BlockHandle } from './sstable.js';
export { snappyDecompress } from './snappy.js';
export { encodeSliceKey, decodeSliceKey, copySliceInto, extractSlice, type SliceExtent, type SliceKey } from './slices.js';
