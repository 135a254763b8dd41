// YAML text to a value, as yaml's parse() does, with the nesting depth checked on the parser's
// token tree (built without recursion) before the composer, which recurses, sees it: a 100,000-deep
// flow list would otherwise overflow the stack.
// Must not: validate the value (the schema does) or touch the file system.

import { Composer, LineCounter, Parser, type CST, type Document } from 'yaml';
import { MAX_NESTING_DEPTH } from './inputLimits';

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/** The offset of the first collection token nested deeper than MAX_NESTING_DEPTH, or null. */
function tooDeepAt(tokens: readonly CST.Token[]): number | null {
  const stack: [unknown, number][] = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    const token = node as { type?: unknown; offset?: unknown };
    const d = typeof token.type === 'string' && COLLECTIONS.has(token.type) ? depth + 1 : depth;
    if (d > MAX_NESTING_DEPTH) return typeof token.offset === 'number' ? token.offset : 0;
    for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) stack.push([child, d]);
  }
  return null;
}

/** Parses one YAML document; throws an Error whose first line says what is wrong and where. */
export function parseYamlText(text: string): unknown {
  const lines = new LineCounter();
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  const deep = tooDeepAt(tokens);
  if (deep !== null) {
    const { line, col } = lines.linePos(deep);
    throw new Error(`nested deeper than ${MAX_NESTING_DEPTH} levels at line ${line}, column ${col}`);
  }
  let doc: Document.Parsed | null = null;
  for (const next of new Composer().compose(tokens, true, text.length)) {
    if (doc !== null) throw new Error('the text holds more than one YAML document');
    doc = next;
  }
  if (doc === null) return null;
  const first = doc.errors[0];
  if (first !== undefined) {
    const { line, col } = lines.linePos(first.pos[0]);
    throw new Error(`${first.message.split('\n')[0]} at line ${line}, column ${col}`);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}
