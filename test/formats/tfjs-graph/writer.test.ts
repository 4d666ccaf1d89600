// SPDX-License-Identifier: Apache-2.0
/**
 * The graph-model writer: the generated op list is current, the op check lists every
 * unsupported op before writing, model.json keys, proto3 JSON details, sharding and
 * quantization (decoded by tfjs itself).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UnsupportedOpError } from '../../../src/errors.js';
import { checkTfjsOps, convertToGraphModel, signatureKeys } from '../../../src/formats/tfjs/graph-write.js';
import { protoFromJson, protoToJson, shortestFloat32, type JsonValue } from '../../../src/formats/tfjs/graph-json.js';
import type { GraphDef } from '../../../src/proto/types.generated.js';
import { TFJS_SUPPORTED_OPS } from '../../../src/graph/tfjs-ops.js';
import { messageCodec } from '../../../src/proto/index.js';
import { repoRoot, sharedFixturesDir } from '../../helpers/paths.js';
import { loadGraphModel, runGraphModel } from './tfjs-run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-graph-w-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const have = fs.existsSync(sharedFixturesDir);
if (!have) console.warn(`[tfjs-graph writer] fixture tests SKIPPED: ${sharedFixturesDir} is absent`);

describe('tfjs op list', () => {
  it('is generated from the installed tfjs-converter and up to date', () => {
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'gen-tfjs-ops.mjs'), '--check'], { stdio: 'pipe' });
    for (const op of ['_FusedConv2D', 'FusedDepthwiseConv2dNative', '_FusedMatMul', 'Prelu', 'StatelessWhile', 'Einsum']) expect(TFJS_SUPPORTED_OPS.has(op)).toBe(true);
    for (const op of ['ReadVariableOp', 'StatefulPartitionedCall', 'Assert']) expect(TFJS_SUPPORTED_OPS.has(op)).toBe(false);
  });
  it('one UnsupportedOpError lists every unsupported op with its nodes', () => {
    const f = messageCodec('tensorflow.FunctionDef').create({ signature: messageCodec('tensorflow.OpDef').create({ name: 'body' }), nodeDef: [messageCodec('tensorflow.NodeDef').create({ name: 'v', op: 'VarHandleOp' })] });
    let err: unknown;
    try {
      checkTfjsOps([{ name: 'a', op: 'Relu' }, { name: 'b', op: 'DecodeWav' }, { name: 'c', op: 'Mfcc' }, { name: 'd', op: 'DecodeWav' }], [f]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    const msg = (err as Error).message;
    expect(msg).toContain('DecodeWav: b, d');
    expect(msg).toContain('Mfcc: c');
    expect(msg).toContain('VarHandleOp: body/v');
    expect(msg).toContain('--skip-op-check');
  });
  it('lists hash-table ops inside functions (tfjs runs them only in the main graph), not in the main graph', () => {
    const f = messageCodec('tensorflow.FunctionDef').create({
      signature: messageCodec('tensorflow.OpDef').create({ name: 'branch' }),
      nodeDef: [messageCodec('tensorflow.NodeDef').create({ name: 'find', op: 'LookupTableFindV2' }), messageCodec('tensorflow.NodeDef').create({ name: 'r', op: 'Relu' })],
    });
    expect(() => checkTfjsOps([{ name: 'find', op: 'LookupTableFindV2' }, { name: 't', op: 'HashTableV2' }])).not.toThrow();
    expect(() => checkTfjsOps([{ name: 'find', op: 'LookupTableFindV2' }], [f])).toThrow(/1 op\(s\) .*LookupTableFindV2 \(inside a function: tfjs runs hash tables only in the main graph; convert without --control-flow-v2\): branch\/find/);
  });
});

describe('signature keys', () => {
  it('keep the SignatureDef key only when dtype+shape is unique (else the tensor name)', () => {
    const t = (key: string, name: string, dataType: number, shape: number[] | null) => ({ key, name, dtype: null, dataType, shape });
    const ts = [t('a', 'sa:0', 1, [-1, 2]), t('b', 'sb:0', 1, [-1, 2]), t('c', 'sc:0', 3, [-1, 2]), t('d', 'sd:0', 1, null)];
    expect(signatureKeys(ts, false)).toEqual(['sa:0', 'sb:0', 'c', 'd']);
    expect(signatureKeys(ts, true)).toEqual(['sa', 'sb', 'sc', 'sd']);
  });
});

describe('proto3 JSON', () => {
  it('maps names, int64, bytes, enums and omits defaults', () => {
    const nd = messageCodec('tensorflow.NodeDef').decode(
      messageCodec('tensorflow.NodeDef').encode(
        messageCodec('tensorflow.NodeDef').create({
          name: 'c',
          op: 'Conv2D',
          attr: new Map([
            ['data_format', messageCodec('tensorflow.AttrValue').create({ s: new TextEncoder().encode('NHWC') })],
            ['strides', messageCodec('tensorflow.AttrValue').create({ list: messageCodec('tensorflow.AttrValue.ListValue').create({ i: [1n, 2n, 2n, 1n] }) })],
            ['T', messageCodec('tensorflow.AttrValue').create({ type: 1 })],
            ['use_cudnn_on_gpu', messageCodec('tensorflow.AttrValue').create({ b: false })],
            ['epsilon', messageCodec('tensorflow.AttrValue').create({ f: 0.001 })],
          ]),
        }),
      ),
    );
    expect(protoToJson('tensorflow.NodeDef', nd)).toEqual({
      name: 'c',
      op: 'Conv2D',
      attr: { data_format: { s: 'TkhXQw==' }, strides: { list: { i: ['1', '2', '2', '1'] } }, T: { type: 'DT_FLOAT' }, use_cudnn_on_gpu: { b: false }, epsilon: { f: 0.001 } },
    });
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
  });
});

describe.skipIf(!have)('graph model output', () => {
  const src = path.join(sharedFixturesDir, 'savedmodel', 'tfkeras_lso_savedmodel_tf2.2');
  it('writes the model.json keys, shards by size and quantizes as tfjs decodes', async () => {
    const f32 = path.join(tmp, 'f32');
    await convertToGraphModel(src, f32, { weightShardSizeBytes: 10, metadata: { labels: ['a', 'b'] }, useStructuredOutputsNames: true });
    const json = JSON.parse(fs.readFileSync(path.join(f32, 'model.json'), 'utf8'));
    expect(Object.keys(json)).toEqual(['format', 'generatedBy', 'convertedBy', 'modelTopology', 'weightsManifest', 'signature', 'userDefinedMetadata']);
    expect(json.generatedBy).toBe('2.2.0-rc2');
    expect(json.convertedBy).toMatch(/^tfexport /);
    expect(json.userDefinedMetadata).toEqual({ labels: ['a', 'b'], structuredOutputKeys: ['output_1'] });
    const group = json.weightsManifest[0];
    const total = group.weights.reduce((a: number, w: { shape: number[] }) => a + 4 * w.shape.reduce((x, y) => x * y, 1), 0);
    expect(group.paths.length).toBe(Math.ceil(total / 10));
    expect(group.paths[0]).toBe(`group1-shard1of${group.paths.length}.bin`);
    for (const n of json.modelTopology.node) if (n.op === 'Const') expect(Object.keys(n.attr.value.tensor).sort()).toEqual(['dtype', 'tensorShape']);
    const feed = { [json.signature.inputs.input_1.name]: { dtype: 'float32', shape: [2, 2], data: [1, 2, -3, 0.5] } };
    const fetch = [json.signature.outputs.output_1.name];
    const ref = (await runGraphModel(await loadGraphModel(f32), feed, fetch))[fetch[0]];
    for (const [q, tol] of [['float16', 0.05], ['uint16', 0.01], ['uint8', 0.5]] as const) {
      const out = path.join(tmp, q);
      await convertToGraphModel(src, out, { quantize: { [q]: true } });
      const j = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
      expect(j.weightsManifest[0].weights.every((w: { quantization?: { dtype: string } }) => w.quantization?.dtype === q)).toBe(true);
      const got = (await runGraphModel(await loadGraphModel(out), feed, fetch))[fetch[0]];
      const maxErr = Math.max(...got.map((v, i) => Math.abs(v - ref[i])));
      console.log(`[tfjs-graph quantize] ${q}: max abs error ${maxErr.toExponential(2)}`);
      expect(maxErr).toBeLessThan(tol);
    }
  });
  it('refuses unsupported ops before writing anything; --skip-op-check writes anyway', async () => {
    const pb = path.join(sharedFixturesDir, 'graphdef', 'nnstreamer_conv_actions', 'conv_actions_frozen.pb');
    if (!fs.existsSync(pb)) return;
    const out = path.join(tmp, 'speech');
    await expect(convertToGraphModel(pb, out, { inputFormat: 'tf_frozen_model', outputNodeNames: ['labels_softmax'] })).rejects.toThrow(/DecodeWav: wav_data|DecodeWav/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('speech'))).toEqual([]);
    await convertToGraphModel(pb, out, { inputFormat: 'tf_frozen_model', outputNodeNames: ['labels_softmax'], skipOpCheck: true });
    expect(fs.existsSync(path.join(out, 'model.json'))).toBe(true);
  });
});

/** A GraphDef (proto3 JSON) with a StatelessIf whose branches hold constants. */
function ifGraph(): { [k: string]: JsonValue } {
  const fn = (name: string, op: string, vals: number[]) => ({
    signature: { name, inputArg: [{ name: 'a', type: 'DT_FLOAT' }], outputArg: [{ name: 'out', type: 'DT_FLOAT' }] },
    nodeDef: [
      { name: 'c', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: String(vals.length) }] }, floatVal: vals } } } },
      { name: 'm', op, input: ['a', 'c:output:0'], attr: { T: { type: 'DT_FLOAT' } } },
    ],
    ret: { out: 'm:z:0' },
  });
  return {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '2' }] } } } },
      { name: 'p', op: 'Placeholder', attr: { dtype: { type: 'DT_BOOL' }, shape: { shape: {} } } },
      {
        name: 'if',
        op: 'StatelessIf',
        input: ['p', 'x'],
        attr: {
          Tcond: { type: 'DT_BOOL' },
          Tin: { list: { type: ['DT_FLOAT'] } },
          Tout: { list: { type: ['DT_FLOAT'] } },
          then_branch: { func: { name: 'then_fn' } },
          else_branch: { func: { name: 'else_fn' } },
        },
      },
    ],
    library: { function: [fn('then_fn', 'Mul', [1, 2]), fn('else_fn', 'AddV2', [10, 20])] },
    versions: { producer: 1000 },
  };
}

describe('library functions', () => {
  it('renames function Consts <func>/<const>, extracts them as weights and runs in tfjs', async () => {
    const pb = path.join(tmp, 'if.pb');
    fs.writeFileSync(pb, messageCodec('tensorflow.GraphDef').encode(protoFromJson<GraphDef>('tensorflow.GraphDef', ifGraph())));
    const out = path.join(tmp, 'if');
    await convertToGraphModel(pb, out, { inputFormat: 'tf_frozen_model', outputNodeNames: ['if'], controlFlowV2: true });
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    expect(json.modelTopology.node.map((n: { op: string }) => n.op)).toContain('StatelessIf');
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual(['then_fn/c', 'else_fn/c']);
    const thenFn = json.modelTopology.library.function.find((f: { signature: { name: string } }) => f.signature.name === 'then_fn');
    expect(thenFn.nodeDef[0].name).toBe('then_fn/c');
    expect(thenFn.nodeDef[0].attr.value.tensor).toEqual({ dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '2' }] } });
    expect(thenFn.nodeDef[1].input).toEqual(['a', 'then_fn/c:output:0']);
    expect(json.signature).toEqual({ outputs: { if: { name: 'if:0', tensorShape: { unknownRank: true } } } });
    const model = await loadGraphModel(out);
    const x = { dtype: 'float32', shape: [2], data: [3, 4] };
    expect((await runGraphModel(model, { x, p: { dtype: 'bool', shape: [], data: [1] } }, ['if']))['if']).toEqual([3, 8]);
    expect((await runGraphModel(model, { x, p: { dtype: 'bool', shape: [], data: [0] } }, ['if']))['if']).toEqual([13, 24]);
  });
});

describe('control flow', () => {
  it('a frozen GraphDef\'s StatelessIf is lowered to Switch/Merge by default; the output keeps its name and runs in tfjs', async () => {
    const pb = path.join(tmp, 'if-lower.pb');
    fs.writeFileSync(pb, messageCodec('tensorflow.GraphDef').encode(protoFromJson<GraphDef>('tensorflow.GraphDef', ifGraph())));
    const out = path.join(tmp, 'if-lower');
    await convertToGraphModel(pb, out, { inputFormat: 'tf_frozen_model', outputNodeNames: ['if'] });
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    const ops = json.modelTopology.node.map((n: { op: string }) => n.op);
    expect(ops).toContain('Switch');
    expect(ops).toContain('Merge');
    expect(ops).not.toContain('StatelessIf');
    expect(json.modelTopology.library).toBeUndefined();
    expect(json.modelTopology.node.find((n: { name: string }) => n.name === 'if').op).toBe('IdentityN');
    expect(Object.keys(json.signature.outputs)).toEqual(['if']);
    const model = await loadGraphModel(out);
    const x = { dtype: 'float32', shape: [2], data: [3, 4] };
    expect((await runGraphModel(model, { x, p: { dtype: 'bool', shape: [], data: [1] } }, ['if']))['if']).toEqual([3, 8]);
    expect((await runGraphModel(model, { x, p: { dtype: 'bool', shape: [], data: [0] } }, ['if']))['if']).toEqual([13, 24]);
  });
});

describe('string constants', () => {
  it('are stored as uint32-length-prefixed UTF-8 and load in tfjs', async () => {
    const g = {
      node: [
        { name: 's', op: 'Const', attr: { dtype: { type: 'DT_STRING' }, value: { tensor: { dtype: 'DT_STRING', tensorShape: { dim: [{ size: '2' }] }, stringVal: [Buffer.from('ab').toString('base64'), ''] } } } },
        { name: 'h', op: 'StringToHashBucketFast', input: ['s'], attr: { num_buckets: { i: '7' } } },
      ],
      versions: { producer: 1000 },
    };
    const pb = path.join(tmp, 'str.pb');
    fs.writeFileSync(pb, messageCodec('tensorflow.GraphDef').encode(protoFromJson<GraphDef>('tensorflow.GraphDef', g)));
    const out = path.join(tmp, 'str');
    await convertToGraphModel(pb, out, { outputNodeNames: ['h'] });
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].weights).toEqual([{ name: 's', shape: [2], dtype: 'string' }]);
    expect([...fs.readFileSync(path.join(out, 'group1-shard1of1.bin'))]).toEqual([2, 0, 0, 0, 97, 98, 0, 0, 0, 0]);
    const got = (await runGraphModel(await loadGraphModel(out), {}, ['h'])).h;
    expect(got.length).toBe(2);
    for (const v of got) expect(v >= 0 && v < 7).toBe(true);
  });
});

describe('float16 constants', () => {
  it('are stored as float32, converted as numpy astype(float32) does (NaN payload kept)', async () => {
    // IEEE binary16 bit patterns and their binary32 images: 1, -2, the smallest subnormal, the
    // largest finite, +Inf, and a quiet NaN with payload 0x201 (shifted left by 13 in binary32).
    const half = [0x3c00, 0xc000, 0x0001, 0x7bff, 0x7c00, 0x7e01];
    const want = [0x3f800000, 0xc0000000, 0x33800000, 0x477fe000, 0x7f800000, 0x7fc02000];
    const g = {
      node: [
        { name: 'h', op: 'Const', attr: { dtype: { type: 'DT_HALF' }, value: { tensor: { dtype: 'DT_HALF', tensorShape: { dim: [{ size: '6' }] }, tensorContent: Buffer.from(new Uint16Array(half).buffer).toString('base64') } } } },
        { name: 'c', op: 'Cast', input: ['h'], attr: { SrcT: { type: 'DT_HALF' }, DstT: { type: 'DT_FLOAT' } } },
      ],
      versions: { producer: 1000 },
    };
    const pb = path.join(tmp, 'half.pb');
    fs.writeFileSync(pb, messageCodec('tensorflow.GraphDef').encode(protoFromJson<GraphDef>('tensorflow.GraphDef', g)));
    const out = path.join(tmp, 'half');
    await convertToGraphModel(pb, out, { outputNodeNames: ['c'], optimize: false });
    const json = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].weights).toEqual([{ name: 'h', shape: [6], dtype: 'float32' }]);
    const bin = fs.readFileSync(path.join(out, 'group1-shard1of1.bin'));
    expect([...new Uint32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength))]).toEqual(want);
  });
});
