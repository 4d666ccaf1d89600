// SPDX-License-Identifier: Apache-2.0
/** Small tfjs-layers models built and trained in Node, for the tfjs → Keras conformance tests. */
import * as tf from '@tensorflow/tfjs';

/** One model with its fixed inputs. */
export interface TfjsZooModel {
  model: tf.LayersModel;
  inputs: tf.Tensor[];
}

/** Deterministic values in [-0.5, 0.5). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  };
}

/** Builds the zoo (recurrent activations are `sigmoid`: tfjs's default `hard_sigmoid` means something else in Keras 3). */
export async function buildTfjsZoo(): Promise<Record<string, TfjsZooModel>> {
  const rnd = lcg(12345);
  const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rnd), shape);
  const L = tf.layers;
  const zoo: Record<string, TfjsZooModel> = {};

  zoo.seq = {
    model: tf.sequential({ layers: [L.dense({ units: 8, inputShape: [5], activation: 'relu' }), L.batchNormalization(), L.dropout({ rate: 0.1 }), L.dense({ units: 3, activation: 'softmax' })] }),
    inputs: [rand([4, 5])],
  };
  {
    const x = tf.input({ shape: [10, 10, 2] });
    let y = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    y = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }).apply(y) as tf.SymbolicTensor;
    y = L.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'elu' }).apply(y) as tf.SymbolicTensor;
    y = L.maxPooling2d({ poolSize: 2 }).apply(y) as tf.SymbolicTensor;
    y = L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2, activation: 'tanh' }).apply(y) as tf.SymbolicTensor;
    y = L.averagePooling2d({ poolSize: 2 }).apply(y) as tf.SymbolicTensor;
    y = L.layerNormalization().apply(y) as tf.SymbolicTensor;
    const g = L.globalAveragePooling2d({}).apply(y) as tf.SymbolicTensor;
    const f = L.dense({ units: 3, activation: 'sigmoid' }).apply(L.flatten().apply(y)) as tf.SymbolicTensor;
    zoo.conv = { model: tf.model({ inputs: x, outputs: L.dense({ units: 4 }).apply(L.concatenate().apply([g, f])) as tf.SymbolicTensor }), inputs: [rand([3, 10, 10, 2])] };
  }
  {
    const x = tf.input({ shape: [8, 3] });
    let y = L.conv1d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    y = L.lstm({ units: 5, returnSequences: true, recurrentActivation: 'sigmoid' }).apply(y) as tf.SymbolicTensor;
    y = L.bidirectional({ layer: L.gru({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode: 'concat' }).apply(y) as tf.SymbolicTensor;
    y = L.timeDistributed({ layer: L.dense({ units: 2, activation: 'softplus' }) }).apply(y) as tf.SymbolicTensor;
    y = L.simpleRNN({ units: 3 }).apply(y) as tf.SymbolicTensor;
    zoo.rnn = { model: tf.model({ inputs: x, outputs: L.dense({ units: 2 }).apply(y) as tf.SymbolicTensor }), inputs: [rand([3, 8, 3])] };
  }
  {
    const a = tf.input({ shape: [4], name: 'a' });
    const b = tf.input({ shape: [6], name: 'b' });
    const ha = L.dense({ units: 5, activation: 'selu' }).apply(a) as tf.SymbolicTensor;
    const hb = L.dense({ units: 5, activation: 'relu6' }).apply(b) as tf.SymbolicTensor;
    const s = L.add().apply([ha, hb]) as tf.SymbolicTensor;
    const p = L.multiply().apply([ha, hb]) as tf.SymbolicTensor;
    const c = L.reshape({ targetShape: [2, 5] }).apply(L.concatenate().apply([s, p])) as tf.SymbolicTensor;
    const o1 = L.dense({ units: 2, activation: 'softmax', name: 'o1' }).apply(L.flatten().apply(c)) as tf.SymbolicTensor;
    const o2 = L.activation({ activation: 'tanh' }).apply(L.dense({ units: 1, name: 'o2' }).apply(s)) as tf.SymbolicTensor;
    zoo.multi = { model: tf.model({ inputs: [a, b], outputs: [o1, o2] }), inputs: [rand([3, 4]), rand([3, 6])] };
  }
  {
    const inner = tf.sequential({ name: 'inner', layers: [L.dense({ units: 4, inputShape: [6], activation: 'relu' }), L.batchNormalization()] });
    const x = tf.input({ shape: [6] });
    zoo.nested = { model: tf.model({ inputs: x, outputs: L.dense({ units: 2 }).apply(inner.apply(x)) as tf.SymbolicTensor }), inputs: [rand([3, 6])] };
  }
  {
    const x = tf.input({ shape: [7], dtype: 'int32' });
    let y = L.embedding({ inputDim: 30, outputDim: 4 }).apply(x) as tf.SymbolicTensor;
    y = L.globalAveragePooling1d().apply(y) as tf.SymbolicTensor;
    zoo.emb = {
      model: tf.model({ inputs: x, outputs: L.dense({ units: 2 }).apply(y) as tf.SymbolicTensor }),
      inputs: [tf.tensor(Int32Array.from({ length: 21 }, () => Math.floor((rnd() + 0.5) * 30)), [3, 7], 'int32')],
    };
  }
  // Brief training, so that weights and BatchNormalization statistics move off their initial values.
  for (const { model, inputs } of Object.values(zoo)) {
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const y0 = model.predict(inputs.length === 1 ? inputs[0] : inputs);
    const targets = (Array.isArray(y0) ? y0 : [y0]).map((t) => rand(t.shape as number[]));
    await model.fit(inputs.length === 1 ? inputs[0] : inputs, targets.length === 1 ? targets[0] : targets, { epochs: 2, batchSize: 2, verbose: 0 });
  }
  return zoo;
}
