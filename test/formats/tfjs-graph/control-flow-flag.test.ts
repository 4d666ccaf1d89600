// SPDX-License-Identifier: Apache-2.0
/**
 * `--control-flow-v2` through the CLI's option parsing and the graph-model route: a frozen
 * GraphDef with a StatelessIf is lowered to Switch/Merge by default and kept with the flag.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandArgs, type CliIo } from '../../../src/cli/args.js';
import { convertCommand, convertOptionsFromArgs } from '../../../src/cli/commands/convert.js';
import { runGraphConversion } from '../../../src/formats/tfjs/graph-cli.js';
import { protoFromJson } from '../../../src/formats/tfjs/graph-json.js';
import { messageCodec } from '../../../src/proto/index.js';
import type { GraphDef } from '../../../src/proto/types.generated.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfexport-cf-flag-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const graph = {
  node: [
    { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '2' }] } } } },
    { name: 'p', op: 'Placeholder', attr: { dtype: { type: 'DT_BOOL' }, shape: { shape: {} } } },
    {
      name: 'if',
      op: 'StatelessIf',
      input: ['p', 'x'],
      attr: { Tcond: { type: 'DT_BOOL' }, Tin: { list: { type: ['DT_FLOAT'] } }, Tout: { list: { type: ['DT_FLOAT'] } }, then_branch: { func: { name: 'neg' } }, else_branch: { func: { name: 'sq' } } },
    },
  ],
  library: {
    function: [
      { signature: { name: 'neg', inputArg: [{ name: 'a', type: 'DT_FLOAT' }], outputArg: [{ name: 'out', type: 'DT_FLOAT' }] }, nodeDef: [{ name: 'n', op: 'Neg', input: ['a'], attr: { T: { type: 'DT_FLOAT' } } }], ret: { out: 'n:y:0' } },
      { signature: { name: 'sq', inputArg: [{ name: 'a', type: 'DT_FLOAT' }], outputArg: [{ name: 'out', type: 'DT_FLOAT' }] }, nodeDef: [{ name: 's', op: 'Square', input: ['a'], attr: { T: { type: 'DT_FLOAT' } } }], ret: { out: 's:y:0' } },
    ],
  },
  versions: { producer: 1000 },
};

async function cli(argv: string[]): Promise<{ ops: string[]; library: unknown }> {
  const io: CliIo = { cwd: tmp, stdout: { write: () => true }, stderr: { write: () => true } } as unknown as CliIo;
  const options = convertOptionsFromArgs(parseCommandArgs(convertCommand, argv), tmp);
  expect(await runGraphConversion(options, io)).toBe(0);
  const json = JSON.parse(fs.readFileSync(path.join(tmp, argv[1]!, 'model.json'), 'utf8'));
  return { ops: json.modelTopology.node.map((n: { op: string }) => n.op), library: json.modelTopology.library };
}

describe('--control-flow-v2', () => {
  it('default lowers a frozen graph\'s StatelessIf to Switch/Merge; the flag keeps it with its functions', async () => {
    const pb = path.join(tmp, 'if.pb');
    fs.writeFileSync(pb, messageCodec('tensorflow.GraphDef').encode(protoFromJson<GraphDef>('tensorflow.GraphDef', graph)));
    const lowered = await cli([pb, 'lowered', '--input-format=tf_frozen_model', '--output-node-names=if']);
    expect(lowered.ops).toEqual(expect.arrayContaining(['Switch', 'Merge', 'Neg', 'Square', 'IdentityN']));
    expect(lowered.ops).not.toContain('StatelessIf');
    expect(lowered.library).toBeUndefined();
    const kept = await cli([pb, 'kept', '--input-format=tf_frozen_model', '--output-node-names=if', '--control-flow-v2']);
    expect(kept.ops).toContain('StatelessIf');
    expect(kept.ops).not.toContain('Switch');
    expect((kept.library as { function: unknown[] }).function).toHaveLength(2);
  });
});
