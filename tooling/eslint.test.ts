// The dependency rules (README.md, Folder map) are enforced by tools, and this proves the tools
// fire: each case lints a virtual file placed in a folder and expects the rule (with its reason) to
// fail it.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('import rules', () => {
  it.each([
    ['core/sim/x.ts', "import { app } from 'electron';\nexport const a = app;\n", /core\/ is pure TypeScript/],
    ['core/sim/x.ts', "import Database from 'better-sqlite3';\nexport const a = Database;\n", /core\/ is pure TypeScript/],
    ['core/sim/x.ts', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\n", /core\/ is pure TypeScript/],
    ['core/sim/x.ts', "import { RunStore } from '../../db/runStore';\nexport const a = RunStore;\n", /storage lives in db\//],
    ['core/sim/x.ts', 'export const a = Date.now();\n', /core\/ has no clocks/],
    ['core/sim/x.ts', 'export const a = Math.random();\n', /use the run PRNG/],
    [
      'db/x.ts',
      "import { LabService } from '../electron/service/labService';\nexport const a = LabService;\n",
      /must not depend on its hosts/,
    ],
    ['electron/service/x.ts', "import { app } from 'electron';\nexport const a = app;\n", /only electron\/main and electron\/preload/],
    [
      'renderer/src/x.ts',
      "import { Simulation } from '../../core/sim/simulation';\nexport const a = Simulation;\n",
      /only types from core\/contract|core\/contract \(types\)/,
    ],
    [
      'renderer/src/x.ts',
      "import { LAB_API_METHODS } from '../../core/contract/labApi';\nexport const a = LAB_API_METHODS;\n",
      /only types from core\/contract/,
    ],
    ['renderer/src/x.ts', "import { RunStore } from '../../db/runStore';\nexport const a = RunStore;\n", /never SQLite/],
  ])('%s: %s fails', async (file, code, reason) => {
    expect((await problems(file, code)).join('\n')).toMatch(reason);
  });

  it('allows type-only imports of core/contract in the renderer', async () => {
    expect(
      await problems('renderer/src/x.ts', "import type { LabApi } from '../../core/contract/labApi';\nexport type A = LabApi;\n"),
    ).toEqual([]);
  });
});
