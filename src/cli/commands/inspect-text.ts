// SPDX-License-Identifier: Apache-2.0
/** Renders an {@link InspectReport} for people (the `--json` form prints the report itself). */
import type { InspectReport } from '../../formats/inspect.js';

function shapeText(shape: readonly number[] | null | undefined): string {
  if (shape == null) return '<unknown rank>';
  return `[${shape.map((d) => (d < 0 ? '?' : String(d))).join(', ')}]`;
}

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

function histogramText(h: Record<string, number>, indent: string): string[] {
  return Object.entries(h)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([op, n]) => `${indent}${String(n).padStart(6)}  ${op}`);
}

/** Multi-line text summary of a report. */
export function formatInspectReport(r: InspectReport): string {
  const out: string[] = [];
  out.push(`path:      ${r.resolvedPath}`);
  out.push(`format:    ${r.format}${r.inspected ? '' : ' (detected; detailed inspection of this format arrives later)'}`);
  if (!r.inspected) return `${out.join('\n')}\n`;
  const p = r.producer;
  const producer = [p.tensorflowVersion && `TensorFlow ${p.tensorflowVersion}`, p.graphDefVersion != null && `GraphDef producer ${p.graphDefVersion}`]
    .filter(Boolean)
    .join(', ');
  if (producer) out.push(`producer:  ${producer}`);
  if (r.savedModel) {
    out.push(`tags:      ${r.savedModel.tags.join(', ')}  (meta graphs: ${r.savedModel.metaGraphs.map((m) => `[${m.tags.join(',')}]`).join(' ')})`);
    out.push(`objects:   ${r.savedModel.hasObjectGraph ? `${r.savedModel.objectCount} (TF2 object graph), ${r.savedModel.concreteFunctionCount} concrete functions` : 'none (TF1 SavedModel)'}`);
    if (r.savedModel.assets.length) out.push(`assets:    ${r.savedModel.assets.map((a) => a.filename + (a.exists ? '' : ' (missing)')).join(', ')}`);
  }
  if (r.checkpoint) {
    out.push(`checkpoint: ${r.checkpoint.prefix} (${r.checkpoint.objectBased ? 'object-based TF2' : 'TF1 name-based'}, ${r.checkpoint.shards} shard${r.checkpoint.shards === 1 ? '' : 's'})`);
  }
  if (r.layers) {
    const L = r.layers;
    out.push(`model:     ${L.className ?? 'weights only (no topology)'}${L.kerasVersion ? `, Keras ${L.kerasVersion}` : ''}${L.backend ? ` (${L.backend})` : ''}`);
    out.push(`layers:    ${L.count}: ${Object.entries(L.classes).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  }
  if (r.graph) {
    out.push(`graph:     ${r.graph.nodeCount} nodes`);
    for (const i of r.graph.inputs) out.push(`  input   ${i.name}  ${i.dtype ?? `dtype ${i.dataType}`} ${shapeText(i.shape as number[] | null)}`);
    for (const o of r.graph.outputs) out.push(`  output  ${o}`);
  }
  if (r.signatures.length) {
    out.push('signatures:');
    for (const s of r.signatures) {
      out.push(`  ${s.key}${s.methodName ? `  (${s.methodName})` : ''}`);
      for (const t of s.inputs) out.push(`    in   ${t.key}: ${t.dtype ?? '?'} ${shapeText(t.shape as number[] | null)}  <- ${t.name}`);
      for (const t of s.outputs) out.push(`    out  ${t.key}: ${t.dtype ?? '?'} ${shapeText(t.shape as number[] | null)}  <- ${t.name}`);
    }
  }
  const w = r.weights;
  out.push(`weights:   ${w.count} tensors, ${bytesText(w.bytes)} (${w.source})` +
    (Object.keys(w.dtypes).length ? `: ${Object.entries(w.dtypes).map(([d, v]) => `${d} ${v.count} / ${bytesText(v.bytes)}`).join(', ')}` : ''));
  if (r.optimizerSlots.count) out.push(`optimizer: ${r.optimizerSlots.count} slot variables, ${bytesText(r.optimizerSlots.bytes)} (not part of the inference model)`);
  if (r.ops) {
    out.push(`ops (graph, ${Object.values(r.ops.graph).reduce((a, b) => a + b, 0)} nodes):`);
    out.push(...histogramText(r.ops.graph, '  '));
    if (r.ops.functionCount) {
      out.push(`ops (${r.ops.functionCount} library functions):`);
      out.push(...histogramText(r.ops.functions, '  '));
    }
  }
  return `${out.join('\n')}\n`;
}
