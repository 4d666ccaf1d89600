// SPDX-License-Identifier: Apache-2.0
/**
 * The layers-model format lists, apart from the readers and writers so that importing the
 * package root does not load them (see lazy.ts).
 */
import type { LayersInputFormat } from '../formats/keras/detect.js';

/** Layers-model output formats. */
export type LayersOutputFormat = 'tfjs_layers_model' | 'keras' | 'keras_keras';

/** The input formats `readLayersModel` reads. */
export const LAYERS_INPUT_FORMATS: readonly LayersInputFormat[] = ['keras', 'keras_keras', 'tfjs_layers_model'];
/** The output formats `writeLayersModel` writes. */
export const LAYERS_OUTPUT_FORMATS: readonly LayersOutputFormat[] = ['tfjs_layers_model', 'keras', 'keras_keras'];
