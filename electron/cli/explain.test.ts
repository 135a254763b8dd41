import { describe, expect, it } from 'vitest';
import { commandExplain } from './explain';
import { main, EXIT_INVALID, EXIT_OK, type CliIo } from './main';

function capture(): { out: string[]; err: string[]; io: { out: (t: string) => void; err: (t: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t) } };
}

describe('pcilab explain', () => {
  it('names the mechanism, limit, knobs and the preset with the line numbers', () => {
    const c = capture();
    expect(commandExplain(['vfio_pin_pages_remote: RLIMIT_MEMLOCK (65536) exceeded'], c.io)).toBe(0);
    const text = c.out.join('\n');
    expect(text).toContain('mechanism: VFIO type1 pins every page');
    expect(text).toContain('limit:     RLIMIT_MEMLOCK');
    expect(text).toContain('host.vfio.capIpcLock');
    expect(text).toContain('reproduce: pcilab run field-memlock-too-small --set host.vfio.memlockBytes=65536');
  });

  it('--json prints one object with every match', () => {
    const c = capture();
    expect(commandExplain(['VFIO_MAP_DMA: -22', '--json'], c.io)).toBe(0);
    const json = JSON.parse(c.out.join('')) as { line: string; matches: { pattern: string; errno: string; preset: string }[] };
    expect(json.line).toBe('VFIO_MAP_DMA: -22');
    expect(json.matches[0]).toMatchObject({ pattern: 'qemu-vfio-map-dma-ioctl', errno: 'EINVAL', preset: 'field-iova-outside-ranges' });
  });

  it('says so when nothing matches, and asks for a line when none is given', () => {
    const c = capture();
    expect(commandExplain(['all is well'], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain('no known kernel or QEMU message');
    const d = capture();
    expect(commandExplain([], d.io)).toBe(2);
    expect(d.err.join('\n')).toContain('usage: pcilab explain');
  });

  it('is dispatched by main', () => {
    const out: string[] = [];
    const io: CliIo = { out: (t: string) => out.push(t), err: () => undefined, env: {}, isTty: false } as unknown as CliIo;
    expect(main(['explain', 'VfioMapRegion(DmaMap(IommuDmaMap(Error(17))))'], io)).toBe(EXIT_OK);
    expect(out.join('\n')).toContain('field-second-map-eexist');
    expect(main(['explain'], io)).toBe(EXIT_INVALID);
  });
});
