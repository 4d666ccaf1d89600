// SPDX-License-Identifier: Apache-2.0
/** SavedModel reading. */
export { openSavedModel, resolveSavedModelDir, selectMetaGraph, signatureInfo, DEFAULT_TAGS, INIT_OP_SIGNATURE_KEY } from './read.js';
export type { SavedModel, SavedModelOptions, SignatureInfo, SignatureTensor, AssetInfo } from './read.js';
export { freezeSavedModel, freezeOpenSavedModel } from './freeze.js';
export type { FreezeOptions, FrozenGraphIR, FrozenVariableInfo, FrozenTable, TableInitializer } from './freeze.js';
