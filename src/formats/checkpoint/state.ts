// SPDX-License-Identifier: Apache-2.0
/**
 * The `checkpoint` state file of a checkpoint directory: a `CheckpointState` message in protobuf
 * text format, e.g.
 *
 * ```
 * model_checkpoint_path: "ckpt-3"
 * all_model_checkpoint_paths: "ckpt-2"
 * all_model_checkpoint_paths: "ckpt-3"
 * all_model_checkpoint_timestamps: 1700000000.5
 * last_preserved_timestamp: 1699990000.25
 * ```
 */
import fs from 'node:fs/promises';
import { FormatError, IoError } from '../../errors.js';
import { messageCodec } from '../../proto/schema.js';
import type { CheckpointState } from '../../proto/types.generated.js';

/** Largest state file accepted (TF's are a few hundred bytes). */
const MAX_STATE_FILE_BYTES = 16 << 20;

interface Token {
  kind: 'ident' | 'string' | 'number' | 'punct';
  text: string;
  /** decoded value of a string token */
  value?: string;
  line: number;
}

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const fail = (what: string): FormatError =>
    new FormatError('ERR_TFEXPORT_CHECKPOINT_STATE', `${file}:${line}: ${what}`, { file, line });
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === ',' || c === ';') {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 256))!;
      tokens.push({ kind: 'ident', text: m[0], line });
      i += m[0].length;
    } else if (/[-+0-9.]/.test(c)) {
      const m = /^[-+]?(?:inf(?:inity)?|nan|(?:0x[0-9a-f]+)|(?:[0-9]*\.?[0-9]*(?:e[-+]?[0-9]+)?))f?/i.exec(text.slice(i, i + 256))!;
      if (!m[0] || m[0] === '-' || m[0] === '+') throw fail(`unexpected character ${JSON.stringify(c)}`);
      tokens.push({ kind: 'number', text: m[0], line });
      i += m[0].length;
    } else if (c === '"' || c === "'") {
      const quote = c;
      const bytes: number[] = [];
      i++;
      for (;;) {
        if (i >= text.length || text[i] === '\n') throw fail('unterminated string');
        const d = text[i]!;
        if (d === quote) {
          i++;
          break;
        }
        if (d === '\\') {
          const e = text[i + 1];
          if (e === undefined) throw fail('unterminated escape');
          const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63 };
          if (e in simple) {
            bytes.push(simple[e]!);
            i += 2;
          } else if (/[0-7]/.test(e)) {
            const m = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4))!;
            bytes.push(parseInt(m[0], 8) & 0xff);
            i += 1 + m[0].length;
          } else if (e === 'x' || e === 'X') {
            const m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2, i + 4));
            if (!m) throw fail('bad \\x escape');
            bytes.push(parseInt(m[0], 16));
            i += 2 + m[0].length;
          } else {
            throw fail(`unknown escape \\${e}`);
          }
          continue;
        }
        const cp = text.codePointAt(i)!;
        const enc = Buffer.from(String.fromCodePoint(cp), 'utf8');
        for (const b of enc) bytes.push(b);
        i += cp > 0xffff ? 2 : 1;
      }
      tokens.push({ kind: 'string', text: quote, value: Buffer.from(bytes).toString('utf8'), line });
    } else if (c === ':' || c === '{' || c === '}' || c === '<' || c === '>' || c === '[' || c === ']') {
      tokens.push({ kind: 'punct', text: c, line });
      i++;
    } else {
      throw fail(`unexpected character ${JSON.stringify(c)}`);
    }
  }
  return tokens;
}

function parseDouble(tok: Token, file: string): number {
  const t = tok.text.toLowerCase().replace(/f$/, '');
  let v: number;
  if (/^[-+]?inf(inity)?$/.test(t)) v = t.startsWith('-') ? -Infinity : Infinity;
  else if (/^[-+]?nan$/.test(t)) v = NaN;
  else v = Number(t);
  if (Number.isNaN(v) && !/nan/.test(t)) {
    throw new FormatError('ERR_TFEXPORT_CHECKPOINT_STATE', `${file}:${tok.line}: bad number ${tok.text}`, { file, line: tok.line });
  }
  return v;
}

/**
 * Parses the text of a `checkpoint` state file.
 * @param text the file contents
 * @param file the path, named in errors
 * @returns the CheckpointState message
 * @throws FormatError `ERR_TFEXPORT_CHECKPOINT_STATE` naming the file, line and field
 */
export function parseCheckpointState(text: string, file: string): CheckpointState {
  const state = messageCodec('tensorflow.CheckpointState').create();
  const tokens = tokenize(text, file);
  let i = 0;
  let modelPathSeen = false;
  let lastPreservedSeen = false;
  while (i < tokens.length) {
    const name = tokens[i++]!;
    const fail = (what: string, field = name.text): FormatError =>
      new FormatError('ERR_TFEXPORT_CHECKPOINT_STATE', `${file}:${name.line}: field ${field}: ${what}`, { file, field, line: name.line });
    if (name.kind !== 'ident') throw fail(`expected a field name, found ${JSON.stringify(name.text)}`, '(none)');
    const colon = tokens[i];
    if (colon?.kind === 'punct' && colon.text === ':') i++;
    const isList = tokens[i]?.kind === 'punct' && tokens[i]!.text === '[';
    const values: Token[] = [];
    if (isList) {
      i++;
      while (i < tokens.length && !(tokens[i]!.kind === 'punct' && tokens[i]!.text === ']')) values.push(tokens[i++]!);
      if (i >= tokens.length) throw fail('unterminated [ list');
      i++;
    } else {
      const v = tokens[i++];
      if (!v) throw fail('missing value');
      values.push(v);
    }
    switch (name.text) {
      case 'model_checkpoint_path':
      case 'all_model_checkpoint_paths': {
        for (const v of values) {
          if (v.kind !== 'string') throw fail(`expected a quoted string, found ${JSON.stringify(v.text)}`);
          // adjacent string literals concatenate
          let s = v.value!;
          while (!isList && tokens[i]?.kind === 'string') s += tokens[i++]!.value!;
          if (name.text === 'model_checkpoint_path') {
            if (modelPathSeen || isList) throw fail('given more than once');
            modelPathSeen = true;
            state.modelCheckpointPath = s;
          } else {
            state.allModelCheckpointPaths.push(s);
          }
        }
        break;
      }
      case 'all_model_checkpoint_timestamps':
      case 'last_preserved_timestamp': {
        for (const v of values) {
          if (v.kind !== 'number' && v.kind !== 'ident') throw fail(`expected a number, found ${JSON.stringify(v.text)}`);
          const d = parseDouble(v, file);
          if (name.text === 'last_preserved_timestamp') {
            if (lastPreservedSeen || isList) throw fail('given more than once');
            lastPreservedSeen = true;
            state.lastPreservedTimestamp = d;
          } else {
            state.allModelCheckpointTimestamps.push(d);
          }
        }
        break;
      }
      default:
        throw fail('not a field of tensorflow.CheckpointState');
    }
  }
  return state;
}

/**
 * Reads and parses a `checkpoint` state file.
 * @param file path of the state file (usually `<dir>/checkpoint`)
 * @throws IoError when unreadable; FormatError when not a valid CheckpointState text
 */
export async function readCheckpointState(file: string): Promise<CheckpointState> {
  let text: string;
  try {
    const stat = await fs.stat(file);
    if (stat.size > MAX_STATE_FILE_BYTES) {
      throw new FormatError('ERR_TFEXPORT_CHECKPOINT_STATE', `${file}: ${stat.size} bytes is too large for a checkpoint state file`, { file });
    }
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof FormatError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError(code === 'ENOENT' ? 'ERR_TFEXPORT_FILE_NOT_FOUND' : 'ERR_TFEXPORT_IO', `${file}: cannot read checkpoint state (${(e as Error).message})`, { file });
  }
  return parseCheckpointState(text, file);
}
