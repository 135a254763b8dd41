import { describe, expect, it } from 'vitest';
import { defaultDatabasePath } from './dataDir';

describe('default database location', () => {
  it('prefers PCILAB_DB', () => {
    expect(defaultDatabasePath({ env: { PCILAB_DB: '/x/y.db' }, platform: 'linux', home: '/h' })).toBe('/x/y.db');
  });
  it('uses the platform data directory otherwise', () => {
    expect(defaultDatabasePath({ env: {}, platform: 'linux', home: '/h' })).toBe('/h/.local/share/pci-passthrough-lab/lab.db');
    expect(defaultDatabasePath({ env: { XDG_DATA_HOME: '/xdg' }, platform: 'linux', home: '/h' })).toBe('/xdg/pci-passthrough-lab/lab.db');
    expect(defaultDatabasePath({ env: {}, platform: 'darwin', home: '/h' })).toBe(
      '/h/Library/Application Support/pci-passthrough-lab/lab.db',
    );
  });
});
