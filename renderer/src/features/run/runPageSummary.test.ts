import { describe, expect, it } from 'vitest';
import { keyMetricNames, MAX_KEY_METRICS, shownStatus, variantStatus, wallTimeText } from './runPageSummary';
import type { ClaimResult } from '../../../../core/contract/runResult';

const claim = (metric?: string, per?: string): ClaimResult => ({
  id: 'c',
  text: 't',
  holds: true,
  measured: 1,
  expectation: '>= 1',
  source: 's',
  ...(metric === undefined ? {} : { metric }),
  ...(per === undefined ? {} : { per }),
});

describe('keyMetricNames', () => {
  it('leads with the headline IO figures, then the metrics claims measure, present ones only, without variant prefixes', () => {
    const metrics = { 'a:io.iops': 1, 'b:io.iops': 2, 'a:vfio.entriesPeak': 3, 'a:io.errors': 0, 'sim.wallMs': 5 };
    expect(keyMetricNames({ metrics, claims: [claim('b:vfio.entriesPeak', 'a:io.iops'), claim('missing.metric'), claim()] })).toEqual([
      'io.iops',
      'io.errors',
      'vfio.entriesPeak',
    ]);
  });

  it('keeps at most MAX_KEY_METRICS', () => {
    const names = Array.from({ length: 20 }, (_, i) => `m.x${i}`);
    const metrics = Object.fromEntries(names.map((n) => [n, 1]));
    expect(keyMetricNames({ metrics, claims: names.map((n) => claim(n)) })).toHaveLength(MAX_KEY_METRICS);
  });
});

describe('run states', () => {
  const fmt = (ms: number): string => `${ms} ms`;

  it('shows the live status only while the run is active, so "completed" waits for the stored result', () => {
    expect(shownStatus({ status: 'queued' }, { status: 'running' })).toBe('running');
    expect(shownStatus({ status: 'running' }, { status: 'completed' })).toBe('running');
    expect(shownStatus({ status: 'completed' }, undefined)).toBe('completed');
  });

  it('says "not finished" only for an active run', () => {
    const created = '2026-01-01T00:00:00.000Z';
    expect(wallTimeText({ createdAt: created, finishedAt: '2026-01-01T00:00:01.500Z' }, 'completed', fmt)).toBe('1500 ms');
    expect(wallTimeText({ createdAt: created, finishedAt: null }, 'running', fmt)).toBe('not finished');
    expect(wallTimeText({ createdAt: created, finishedAt: null }, 'interrupted', fmt)).toBe(
      'unknown (the run ended without a finish time)',
    );
  });

  it("gives an experiment variant its run's live status over the stored one", () => {
    expect(variantStatus('queued', { status: 'running' })).toBe('running');
    expect(variantStatus('running', { status: 'completed' })).toBe('completed');
    expect(variantStatus('queued', undefined)).toBe('queued');
    expect(variantStatus(null, undefined)).toBeNull();
  });
});
