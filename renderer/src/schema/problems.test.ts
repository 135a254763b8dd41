import { describe, expect, it } from 'vitest';
import { countUnder, messagesFor, parseProblem, unplaced } from './problems';

const problems = [
  'vms.0.vcpus: Too small: expected number to be >=1',
  'vms.0.memoryBytes: expected a hex string like "0x10000"',
  'workload.steps.0.args.iova: Invalid input: expected number, received boolean',
  '(root): Unrecognized key: "extra"',
  'host.hypervisor: "zvm" does not run on x86_64 (x86_64: kvm)',
].map(parseProblem);

describe('problems placed on the fields they name', () => {
  it('splits path and message at the first ": " and keeps the message verbatim', () => {
    expect(problems[0]).toMatchObject({ path: 'vms.0.vcpus', message: 'Too small: expected number to be >=1' });
    expect(problems[3]).toMatchObject({ path: '', message: 'Unrecognized key: "extra"' });
    expect(parseProblem('--set durationMs: expected path=value').path).toBe('durationMs');
  });
  it('a field takes its exact path; a JSON field also what lies below it', () => {
    expect(messagesFor({ path: 'vms.0.vcpus', below: false }, problems)).toEqual(['Too small: expected number to be >=1']);
    expect(messagesFor({ path: 'vms.0', below: false }, problems)).toEqual([]);
    expect(messagesFor({ path: 'workload.steps.0.args', below: true }, problems)).toEqual([
      'iova: Invalid input: expected number, received boolean',
    ]);
  });
  it('what no field takes is listed at the top', () => {
    const fields = [
      { path: 'vms.0.vcpus', below: false },
      { path: 'workload.steps.0.args', below: true },
    ];
    expect(unplaced(problems, fields).map((p) => p.text)).toEqual([
      'vms.0.memoryBytes: expected a hex string like "0x10000"',
      '(root): Unrecognized key: "extra"',
      'host.hypervisor: "zvm" does not run on x86_64 (x86_64: kvm)',
    ]);
  });
  it('counts problems per section', () => {
    expect(countUnder(problems, ['vms'])).toBe(2);
    expect(countUnder(problems, ['host', 'name'])).toBe(1);
  });
});
