import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseYamlText } from './yamlText';
import { MAX_NESTING_DEPTH } from './inputLimits';

describe('YAML scenario text', () => {
  it('reads what yaml.parse reads', () => {
    const text = 'name: x\nvms:\n  - vcpus: 4\n    devices: [{ name: nvme0, kind: nvme }]\nbase: &b { a: 1 }\nother: *b\n';
    expect(parseYamlText(text)).toEqual(parse(text));
  });

  it('refuses nesting past the limit before composing, for flow and block collections alike', () => {
    const flow = 'a: ' + '['.repeat(100_000) + ']'.repeat(100_000);
    expect(() => parseYamlText(flow)).toThrow(`nested deeper than ${MAX_NESTING_DEPTH} levels at line 1, column`);
    const block = Array.from({ length: MAX_NESTING_DEPTH + 1 }, (_, i) => `${' '.repeat(i)}- `).join('\n') + 'x';
    expect(() => parseYamlText(block)).toThrow(/nested deeper than 64 levels at line \d+/);
  });

  it('says where a syntax error is, on one line', () => {
    expect(() => parseYamlText('a: 1\na: 2')).toThrow(/^Map keys must be unique at line 2, column 1$/);
    expect(() => parseYamlText('a: 1\n---\nb: 2')).toThrow('more than one YAML document');
  });
});
