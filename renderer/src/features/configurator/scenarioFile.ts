// Scenario files in and out of the configurator: JSON or YAML text to a scenario object (as the
// lab's loader reads it: JSON when it looks like JSON, YAML otherwise), and the scenario back to
// text with a file name derived from the scenario's name.
// Must not: validate (the lab does, with its `path: message` problems).

import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { errorMessage } from '../../format/errorMessage';

export type ScenarioFormat = 'json' | 'yaml';

export type ParsedScenarioFile =
  { readonly ok: true; readonly scenario: Record<string, unknown> } | { readonly ok: false; readonly problem: string };

export function parseScenarioFile(text: string, fileName: string): ParsedScenarioFile {
  const trimmed = text.trimStart();
  let value: unknown;
  try {
    value = trimmed.startsWith('{') || trimmed.startsWith('[') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const first = errorMessage(err).split('\n')[0];
    return { ok: false, problem: `${fileName}: not valid JSON or YAML: ${first}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problem: `${fileName}: a scenario file holds one object (name, host, vms, workload...), not ${describe(value)}` };
  }
  return { ok: true, scenario: value as Record<string, unknown> };
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  return Array.isArray(v) ? 'a list' : `a ${typeof v}`;
}

export function serializeScenario(scenario: unknown, format: ScenarioFormat): string {
  return format === 'json' ? `${JSON.stringify(scenario, null, 2)}\n` : stringifyYaml(scenario, { lineWidth: 0 });
}

/** "my run/1" -> "my-run-1.yaml". */
export function scenarioFileName(scenario: unknown, format: ScenarioFormat): string {
  const name = typeof scenario === 'object' && scenario !== null ? (scenario as { name?: unknown }).name : undefined;
  const base =
    (typeof name === 'string' ? name : '')
      .trim()
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .replace(/^[-.]+|-+$/g, '') || 'scenario';
  return `${base}.${format === 'json' ? 'json' : 'yaml'}`;
}

export function mimeTypeOf(format: ScenarioFormat): string {
  return format === 'json' ? 'application/json' : 'application/yaml';
}
