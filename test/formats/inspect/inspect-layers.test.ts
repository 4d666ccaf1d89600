// SPDX-License-Identifier: Apache-2.0
// inspect() on layers models (Keras .h5, Keras 3 .keras, tfjs layers): the weights it reports are
// checked against an independent listing — the weightsManifest tensorflowjs_converter wrote for
// the same model, and the model.json of the tfjs fixture itself.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inspect } from '../../../src/formats/inspect.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures');
const have = existsSync(fixtures);
if (!have) console.warn(`inspect-layers tests skipped: ${fixtures} is absent`);

interface ManifestWeight { name: string; shape: number[]; dtype: string }
function manifestWeights(modelJson: string): ManifestWeight[] {
  const m = JSON.parse(readFileSync(modelJson, 'utf8')) as { weightsManifest: { weights: ManifestWeight[] }[] };
  return m.weightsManifest.flatMap((g) => g.weights);
}
const bytesOf = (ws: ManifestWeight[]) => ws.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1) * 4, 0);

describe.skipIf(!have)('inspect layers models', () => {
  it('Keras 2.1.6 .h5: layers and weights agree with the converter-written tfjs twin', async () => {
    const r = await inspect(path.join(fixtures, 'keras-h5', 'tensorspace_mnist_keras2.1.6_with_optimizer.h5'));
    const twin = manifestWeights(path.join(fixtures, 'tfjs-layers', 'tensorspace_from_keras2.1.6_h5', 'model.json'));
    expect(r.format).toBe('keras');
    expect(r.inspected).toBe(true);
    expect(r.layers?.className).toBe('Sequential');
    expect(r.layers?.kerasVersion).toBe('2.1.6');
    expect(r.layers?.classes).toMatchObject({ Conv2D: 2, Dense: 3, MaxPooling2D: 2 });
    expect(r.weights.count).toBe(twin.length);
    expect(r.weights.bytes).toBe(bytesOf(twin));
    expect(r.weights.dtypes).toEqual({ float32: { count: twin.length, bytes: bytesOf(twin) } });
  });

  it('tfjs layers model: counts equal its own weightsManifest', async () => {
    const modelJson = path.join(fixtures, 'tfjs-layers', 'tfjs_e2e_embedding_gru', 'model.json');
    const r = await inspect(path.dirname(modelJson));
    const ws = manifestWeights(modelJson);
    expect(r.format).toBe('tfjs_layers_model');
    expect(r.layers?.list.map((l) => l.className)).toEqual(['Embedding', 'GRU']);
    expect(r.weights.count).toBe(ws.length);
    expect(r.weights.bytes).toBe(bytesOf(ws));
  });

  it('Keras 3 .keras: a subclassed model reports its class and weights', async () => {
    const r = await inspect(path.join(fixtures, 'keras-v3', 'keras_pre_pr22362_nested_container.keras'));
    expect(r.format).toBe('keras_keras');
    expect(r.layers?.className).toBe('NestedDenseModel');
    // 3 bias-free Dense(4) on 4 inputs + Dense(2) with bias (MANIFEST.md): 3*16 + 4*2 + 2 = 58 floats.
    expect(r.weights.count).toBe(5);
    expect(r.weights.bytes).toBe(58 * 4);
  });
});
