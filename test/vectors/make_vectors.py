# SPDX-License-Identifier: Apache-2.0
"""Generates the committed numpy test vectors under test/vectors/numpy/ (run once; the
product never needs Python).

Command (from the repository root, with the git-ignored oracle venv):

    .venv/bin/python test/vectors/make_vectors.py

Generated with numpy 2.4.6 (CPython 3.11, x86-64 Linux). The script refuses to run under
numpy < 2: tensorflowjs quantization.py computes clip/subtract/divide in float64 only under
NEP 50 (numpy >= 2); numpy 1.x demoted to float32 and produced different codes.

What it writes (all little-endian):
  f16_input.f32.bin      float32 inputs: edge cases (ties, subnormals, NaNs with payloads,
                         signalling NaNs, +-Inf, +-0, 65504/65520, large values) + seeded
                         random values.
  f16_expected.u16.bin   numpy's float16 bits: x.astype(np.float16) (numpy's software
                         conversion npy_floatbits_to_halfbits: round half to even; NaN keeps
                         the top 10 payload bits, never forced quiet, never collapsing to Inf).
  affine/<case>.f32.bin            the tensor
  affine/<case>.<uint8|uint16>.bin tensorflowjs_converter's codes (quantize_weights below)
  vectors.json           the manifest: files, element counts, and for each affine case and
                         dtype the `min` and `scale` as repr() strings (shortest round-trip
                         decimal: Number(s) in JavaScript is the same float64) and float.hex().
"""
import json
import os
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'numpy')
SEED = 20240601


def quantize_weights(data, quantization_dtype):
    """tensorflowjs/quantization.py quantize_weights (uint8/uint16 branch), verbatim logic."""
    min_val = data.min().astype(np.float64)
    max_val = data.max().astype(np.float64)
    if min_val == max_val:
        quantized_data = np.zeros_like(data, dtype=quantization_dtype)
        scale = 1.0
    else:
        scale, min_val, max_val = _get_affine_quantization_range(min_val, max_val, quantization_dtype)
        quantized_data = np.round((data.clip(min_val, max_val) - min_val) / scale).astype(quantization_dtype)
    return quantized_data, {'min': min_val, 'scale': scale}


def _get_affine_quantization_range(min_val, max_val, quantization_dtype):
    """tensorflowjs/quantization.py _get_affine_quantization_range, verbatim logic."""
    quant_max = np.iinfo(quantization_dtype).max
    scale = (max_val - min_val) / quant_max
    if min_val <= 0 <= max_val:
        quantized_zero_point = (0 - min_val) / scale
        nudged_zero_point = np.round(quantized_zero_point)
        nudged_min = -nudged_zero_point * scale
        nudged_max = quant_max * scale + nudged_min
    else:
        nudged_min, nudged_max = min_val, max_val
    return scale, nudged_min, nudged_max


def f32_from_bits(bits):
    return np.array(bits, dtype=np.uint32).view(np.float32)


def f16_inputs(rng):
    bits = [
        0x00000000, 0x80000000, 0x7F800000, 0xFF800000,              # +-0, +-Inf
        0x7FC00000, 0xFFC00000, 0x7FC00001, 0x7FFFFFFF, 0xFFFFFFFF,  # quiet NaNs
        0x7F800001, 0xFF800001, 0x7FBFFFFF, 0x7F802000, 0x7F801FFF,  # signalling NaNs
        0x7FA00000, 0x7F804000, 0xFFBFE000,                          # payload bits kept
        0x00000001, 0x80000001, 0x007FFFFF, 0x00400000,              # f32 subnormals
        0x33000000, 0x33000001, 0x32FFFFFF, 0xB3000000,              # half of the smallest f16 subnormal
        0x33800000, 0x33C00000, 0x34200000, 0x34400000,              # f16 subnormal ties (to even)
        0x387FC000, 0x387FE000, 0x387FDFFF, 0x387FE001, 0x38800000,  # subnormal/normal boundary
        0x3F801000, 0x3F803000, 0x3F801001, 0x3F800FFF, 0xBF801000,  # normal ties around 1.0
        0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001, 0xC77FF000,  # 65504 / 65520 overflow
        0x47800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x4B800000, 0x501502F9,  # large values
    ]
    edges = f32_from_bits(bits)
    # Exact ties and their neighbours for a sample of f16 codes (normal and subnormal).
    codes = np.concatenate([np.arange(0, 64), rng.integers(0, 0x7BFF, 600)]).astype(np.uint16)
    lo = codes.view(np.float16).astype(np.float32).astype(np.float64)
    hi = (codes + 1).astype(np.uint16).view(np.float16).astype(np.float32).astype(np.float64)
    mid = ((lo + hi) / 2).astype(np.float32)  # exact: the midpoint of two f16 values is an f32
    mid_bits = mid.view(np.uint32)
    ties = np.concatenate([mid_bits, mid_bits - 1, mid_bits + 1, mid_bits | 0x80000000]).view(np.float32)
    scales = 10.0 ** rng.uniform(-9, 5.5, 1500)
    normals = (rng.standard_normal(1500) * scales).astype(np.float32)
    random_bits = rng.integers(0, 2**32, 1000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    out = np.concatenate([edges, ties.astype(np.float32), normals, random_bits]).astype(np.float32)
    return out


def affine_cases(rng):
    f = lambda xs: np.array(xs, dtype=np.float32)  # noqa: E731
    return {
        'docstring_example': f([0.0, -0.1, 1.2]),
        'normal_1000': (rng.standard_normal(1000) * 0.05).astype(np.float32),
        'positive_range': rng.uniform(0.5, 3.0, 300).astype(np.float32),
        'negative_range': rng.uniform(-5.0, -1.0, 300).astype(np.float32),
        'constant': f([0.25] * 17),
        'min_is_zero': f([0.0, 1.0, 2.0, 3.0, 0.5, 2.75]),
        'uint8_ties': f([0.0, 255.0, 0.5, 1.5, 2.5, 3.5, 127.5, 128.5, 254.5, -0.0]),
        'uint16_ties': f([0.0, 65535.0, 0.5, 1.5, 2.5, 32767.5, 65534.5]),
        'wide_range': f([-1e30, 3e30, 0.0, 1.0, -2.5e29, 1e38, -3.4e38]),
        'subnormal_range': f32_from_bits([0x00000000, 0x00000001, 0x00000007, 0x00000100, 0x80000003, 0x007FFFFF]),
        'single_element': f([3.5]),
        'zero_just_outside': f([1e-7, 0.25, 1.0]),
        'zero_point_tie_uint8': f([-2.5, 252.5, 0.0, 1.0, 100.25]),  # (0 - min) / scale = 2.5 for uint8
        'zero_point_tie_uint16': f([-3.5, 65531.5, 0.0, 7.0]),  # (0 - min) / scale = 3.5 for uint16
    }


def write(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as fh:
        fh.write(np.ascontiguousarray(array).astype(array.dtype.newbyteorder('<')).tobytes())


def num(v):
    v = float(v)
    return {'repr': repr(v), 'hex': v.hex()}


def main():
    if int(np.__version__.split('.')[0]) < 2:
        sys.exit('numpy >= 2 is required (NEP 50 float64 promotion), found ' + np.__version__)
    rng = np.random.default_rng(SEED)
    manifest = {
        'generator': 'test/vectors/make_vectors.py',
        'numpy': np.__version__,
        'python': sys.version.split()[0],
        'seed': SEED,
        'float16': {},
        'affine': [],
    }

    x = f16_inputs(rng)
    with np.errstate(over='ignore'):  # values >= 65520 overflow to Inf, as intended
        h = x.astype(np.float16).view(np.uint16)
    write(os.path.join(OUT, 'f16_input.f32.bin'), x)
    write(os.path.join(OUT, 'f16_expected.u16.bin'), h)
    manifest['float16'] = {'input': 'f16_input.f32.bin', 'expected': 'f16_expected.u16.bin', 'count': int(x.size)}

    for name, data in affine_cases(rng).items():
        assert np.all(np.isfinite(data)), name
        write(os.path.join(OUT, 'affine', name + '.f32.bin'), data)
        entry = {'name': name, 'input': 'affine/%s.f32.bin' % name, 'count': int(data.size), 'dtypes': {}}
        for dtype_name, dtype in (('uint8', np.uint8), ('uint16', np.uint16)):
            q, meta = quantize_weights(data, dtype)
            assert q.dtype == dtype
            rel = 'affine/%s.%s.bin' % (name, dtype_name)
            write(os.path.join(OUT, rel), q)
            entry['dtypes'][dtype_name] = {'expected': rel, 'min': num(meta['min']), 'scale': num(meta['scale'])}
        manifest['affine'].append(entry)

    # The example in quantization.py's documentation.
    q, _ = quantize_weights(np.array([0, -0.1, 1.2], dtype=np.float32), np.uint8)
    assert q.tolist() == [20, 0, 255], q

    with open(os.path.join(OUT, 'vectors.json'), 'w') as fh:
        json.dump(manifest, fh, indent=1, sort_keys=False)
        fh.write('\n')
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(OUT) for fn in fns)
    print('wrote %s (%d bytes) with numpy %s' % (OUT, total, np.__version__))


if __name__ == '__main__':
    main()
