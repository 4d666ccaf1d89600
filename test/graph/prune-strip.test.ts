// SPDX-License-Identifier: Apache-2.0
/** Passes: prune to the outputs, strip debug / training ops, simplify control dependencies. */
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { pruneGraph } from '../../src/graph/passes/prune.js';
import { simplifyControlDependencies, stripDebugOps } from '../../src/graph/passes/strip.js';
import { constNode, graph, inputsOf, node } from './helpers.js';

describe('pruneGraph', () => {
  it('keeps what the outputs and kept nodes need through data and control edges, drops the rest', () => {
    const g = graph(
      [
        node('x', 'Placeholder'),
        node('unused_in', 'Placeholder'),
        node('w', 'Const'),
        node('gate', 'NoOp', ['^w']),
        node('y', 'MatMul', ['x', 'w', '^gate']),
        node('saver', 'SaveV2', ['w']),
        node('other', 'Relu', ['y']),
      ],
      ['y:0'],
      ['unused_in'],
    );
    expect(pruneGraph(g)).toBe(2);
    expect([...g.nodes.keys()].sort()).toEqual(['gate', 'unused_in', 'w', 'x', 'y']);
  });

  it('refuses outputs naming missing nodes', () => {
    const g = graph([node('x', 'Placeholder')], ['nope:0']);
    expect(() => pruneGraph(g)).toThrow(FormatError);
  });
});

describe('stripDebugOps', () => {
  it('bypasses CheckNumerics / Print / DebugIdentity and removes Assert / PrintV2 with the control edges to them', () => {
    const g = graph(
      [
        node('x', 'Placeholder'),
        node('check', 'CheckNumerics', ['x']),
        node('print', 'Print', ['check', 'x']),
        node('dbg', 'DebugIdentity', ['print']),
        node('cond', 'Less', ['x', 'x']),
        node('assert', 'Assert', ['cond', 'x']),
        node('fmt', 'StringFormat', ['x']),
        node('pv2', 'PrintV2', ['fmt']),
        node('y', 'Identity', ['dbg', '^assert', '^pv2']),
      ],
      ['y:0', 'check:0'],
    );
    expect(stripDebugOps(g)).toBe(5);
    expect(inputsOf(g, 'y')).toEqual(['x']);
    expect(g.outputs).toEqual([{ node: 'y', output: 0 }, { node: 'x', output: 0 }]);
    expect(g.nodes.has('assert') || g.nodes.has('pv2') || g.nodes.has('check')).toBe(false);
    pruneGraph(g);
    expect([...g.nodes.keys()].sort()).toEqual(['x', 'y']);
  });

  it('removes checkpoint ops only reached through control edges; keeps them when their data is read', () => {
    const g = graph(
      [node('prefix', 'Placeholder'), node('save', 'SaveV2', ['prefix']), node('restore', 'RestoreV2', ['prefix']), node('use', 'Identity', ['restore', '^save'])],
      ['use:0'],
    );
    expect(stripDebugOps(g)).toBe(1);
    expect(inputsOf(g, 'use')).toEqual(['restore']);
  });
});

describe('simplifyControlDependencies', () => {
  it('removes NoOps, rerouting control edges through them; drops control edges from constant-like nodes', () => {
    const g = graph(
      [
        node('x', 'Placeholder'),
        constNode('k'),
        node('read', 'Identity', ['k']), // a frozen ReadVariableOp
        node('stateful', 'RandomUniform', ['x']),
        node('hub', 'NoOp', ['^read', '^stateful']),
        node('hub2', 'NoOp', ['^hub', '^x']),
        node('y', 'Identity', ['x', '^hub2']),
      ],
      ['y:0'],
    );
    expect(simplifyControlDependencies(g)).toBe(2);
    expect(inputsOf(g, 'y')).toEqual(['x', '^stateful']);
  });

  it('keeps control edges that place TF1 loop constants in their frame', () => {
    const g = graph(
      [node('x', 'Placeholder'), node('enter', 'Enter', ['x']), node('pivot', 'Identity', ['enter']), node('c', 'Const', ['^pivot']), node('y', 'AddV2', ['pivot', 'c'])],
      ['y:0'],
    );
    simplifyControlDependencies(g);
    expect(inputsOf(g, 'c')).toEqual(['^pivot']);
  });

  it('keeps a NoOp that is an output or kept', () => {
    const g = graph([node('x', 'Placeholder'), node('init', 'NoOp', ['^x'])], ['x:0'], ['init']);
    expect(simplifyControlDependencies(g)).toBe(0);
    expect(g.nodes.has('init')).toBe(true);
  });
});
