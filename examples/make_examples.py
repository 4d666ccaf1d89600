# SPDX-License-Identifier: Apache-2.0
"""Writes the small example models bundled under examples/ (run once with real TF 2.21).

    .venv/bin/python examples/make_examples.py

examples/mlp_savedmodel/: a tf.Module with a two-layer MLP (4 -> 8 -> 3, ReLU, softmax) and
a `serving_default` signature x: float32[-1, 4] -> probs: float32[-1, 3]. Weights come from a
fixed seed; examples/mlp_savedmodel.expected.json holds inputs and TF's outputs for them.
"""
import json
import os
import shutil

import numpy as np
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))


class Mlp(tf.Module):
    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(20261122)
        self.w1 = tf.Variable(rng.normal(0, 0.5, (4, 8)).astype(np.float32), name="dense1/kernel")
        self.b1 = tf.Variable(rng.normal(0, 0.1, (8,)).astype(np.float32), name="dense1/bias")
        self.w2 = tf.Variable(rng.normal(0, 0.5, (8, 3)).astype(np.float32), name="dense2/kernel")
        self.b2 = tf.Variable(rng.normal(0, 0.1, (3,)).astype(np.float32), name="dense2/bias")

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
    def __call__(self, x):
        h = tf.nn.relu(tf.matmul(x, self.w1) + self.b1)
        return {"probs": tf.nn.softmax(tf.matmul(h, self.w2) + self.b2)}


def main():
    out = os.path.join(HERE, "mlp_savedmodel")
    shutil.rmtree(out, ignore_errors=True)
    m = Mlp()
    tf.saved_model.save(m, out, signatures={"serving_default": m.__call__})
    x = np.array([[1, 2, 3, 4], [-1, 0.5, 0, 2], [0, 0, 0, 0]], dtype=np.float32)
    y = m(x)["probs"].numpy()
    with open(os.path.join(HERE, "mlp_savedmodel.expected.json"), "w") as f:
        json.dump({"tensorflow": tf.__version__, "signature": "serving_default",
                   "inputs": {"x": x.tolist()}, "outputs": {"probs": y.tolist()}}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
