import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { peakRssMiB } from './peakRss';

describe('peakRssMiB', () => {
  it('is this process own high-water mark, not a parent one carried over exec', () => {
    const ballast = Buffer.alloc(400 * 2 ** 20, 1); // the parent now holds 400 MiB resident
    const module = fileURLToPath(new URL('./peakRss.ts', import.meta.url));
    const script = `import(${JSON.stringify(module)}).then((m) => console.log(JSON.stringify([m.peakRssMiB(), process.resourceUsage().maxRSS / 1024])))`;
    const [own, inherited] = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' }).trim()) as [
      number,
      number,
    ];
    expect(ballast[ballast.length - 1]).toBe(1);
    if (process.platform === 'linux') expect(inherited).toBeGreaterThan(400); // the reason peakRss exists
    expect(own).toBeGreaterThan(10);
    expect(own).toBeLessThan(300);
    expect(peakRssMiB()).toBeGreaterThan(400);
  });
});
