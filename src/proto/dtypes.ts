// SPDX-License-Identifier: Apache-2.0
/**
 * TensorFlow `DataType` helpers: enum value <-> `DT_*` name, the short dtype names used in
 * reports (numpy / tfjs style: `float32`, `int64`, `float16`, `string`, ...) and element sizes.
 */
import { DataType } from './types.generated.js';

/** Short dtype name of a TensorFlow DataType (numpy / tfjs vocabulary). */
export type DTypeName =
  | 'float32' | 'float64' | 'int32' | 'uint8' | 'int16' | 'int8' | 'string' | 'complex64' | 'int64'
  | 'bool' | 'qint8' | 'quint8' | 'qint32' | 'bfloat16' | 'qint16' | 'quint16' | 'uint16'
  | 'complex128' | 'float16' | 'resource' | 'variant' | 'uint32' | 'uint64' | 'float8_e5m2'
  | 'float8_e4m3fn' | 'float8_e4m3fnuz' | 'float8_e4m3b11fnuz' | 'float8_e5m2fnuz' | 'int4' | 'uint4'
  | 'int2' | 'uint2' | 'float4_e2m1fn';

const SHORT_NAMES: Record<number, DTypeName> = {
  [DataType.DT_FLOAT]: 'float32',
  [DataType.DT_DOUBLE]: 'float64',
  [DataType.DT_INT32]: 'int32',
  [DataType.DT_UINT8]: 'uint8',
  [DataType.DT_INT16]: 'int16',
  [DataType.DT_INT8]: 'int8',
  [DataType.DT_STRING]: 'string',
  [DataType.DT_COMPLEX64]: 'complex64',
  [DataType.DT_INT64]: 'int64',
  [DataType.DT_BOOL]: 'bool',
  [DataType.DT_QINT8]: 'qint8',
  [DataType.DT_QUINT8]: 'quint8',
  [DataType.DT_QINT32]: 'qint32',
  [DataType.DT_BFLOAT16]: 'bfloat16',
  [DataType.DT_QINT16]: 'qint16',
  [DataType.DT_QUINT16]: 'quint16',
  [DataType.DT_UINT16]: 'uint16',
  [DataType.DT_COMPLEX128]: 'complex128',
  [DataType.DT_HALF]: 'float16',
  [DataType.DT_RESOURCE]: 'resource',
  [DataType.DT_VARIANT]: 'variant',
  [DataType.DT_UINT32]: 'uint32',
  [DataType.DT_UINT64]: 'uint64',
  [DataType.DT_FLOAT8_E5M2]: 'float8_e5m2',
  [DataType.DT_FLOAT8_E4M3FN]: 'float8_e4m3fn',
  [DataType.DT_FLOAT8_E4M3FNUZ]: 'float8_e4m3fnuz',
  [DataType.DT_FLOAT8_E4M3B11FNUZ]: 'float8_e4m3b11fnuz',
  [DataType.DT_FLOAT8_E5M2FNUZ]: 'float8_e5m2fnuz',
  [DataType.DT_INT4]: 'int4',
  [DataType.DT_UINT4]: 'uint4',
  [DataType.DT_INT2]: 'int2',
  [DataType.DT_UINT2]: 'uint2',
  [DataType.DT_FLOAT4_E2M1FN]: 'float4_e2m1fn',
};

const ENUM_NAMES = new Map<number, string>(Object.entries(DataType).map(([k, v]) => [v, k]));

/**
 * The `DT_*` enum name of a DataType value (`DT_FLOAT_REF` for reference types); values this
 * schema does not know read `DT_UNKNOWN_<n>`.
 * @param dataType a DataType enum value
 */
export function dataTypeEnumName(dataType: number): string {
  return ENUM_NAMES.get(dataType) ?? `DT_UNKNOWN_${dataType}`;
}

/** True for the TF1 `*_REF` DataTypes (value + 100). */
export function isRefDataType(dataType: number): boolean {
  return dataType > 100 && dataType < 200;
}

/**
 * The short dtype name (`float32`, `int64`, `float16`, `string`...) of a DataType; reference
 * types map to their value type. Returns null for DT_INVALID and unknown values.
 * @param dataType a DataType enum value
 */
export function dtypeName(dataType: number): DTypeName | null {
  const base = isRefDataType(dataType) ? dataType - 100 : dataType;
  return SHORT_NAMES[base] ?? null;
}

/** The DataType enum value of a short dtype name. */
export function dataTypeFromName(name: DTypeName): number {
  for (const [k, v] of Object.entries(SHORT_NAMES)) if (v === name) return Number(k);
  throw new Error(`unknown dtype name ${name}`);
}

/**
 * Bytes per element of a fixed-width DataType as stored in tensor_content and TensorBundle
 * data files, or null for variable-width or non-numeric types (string, resource, variant) and
 * for the sub-byte types whose storage this reader does not interpret (int4, uint4, int2, uint2,
 * float4).
 * @param dataType a DataType enum value (reference types accepted)
 */
export function dataTypeByteSize(dataType: number): number | null {
  switch (dtypeName(dataType)) {
    case 'bool': case 'int8': case 'uint8': case 'qint8': case 'quint8':
    case 'float8_e5m2': case 'float8_e4m3fn': case 'float8_e4m3fnuz': case 'float8_e4m3b11fnuz': case 'float8_e5m2fnuz':
      return 1;
    case 'int16': case 'uint16': case 'qint16': case 'quint16': case 'float16': case 'bfloat16':
      return 2;
    case 'float32': case 'int32': case 'uint32': case 'qint32':
      return 4;
    case 'float64': case 'int64': case 'uint64': case 'complex64':
      return 8;
    case 'complex128':
      return 16;
    default:
      return null;
  }
}
