import { describe, expect, it } from 'vitest';
import { denyAllPermissions, type SessionLike } from './sessionSecurity';

describe('the lab session', () => {
  it('denies every permission request and check (Electron grants them by default)', () => {
    let request: Parameters<SessionLike['setPermissionRequestHandler']>[0] = null;
    let check: Parameters<SessionLike['setPermissionCheckHandler']>[0] = null;
    let device: ((details: unknown) => boolean) | null = null;
    denyAllPermissions({
      setPermissionRequestHandler: (h) => void (request = h),
      setPermissionCheckHandler: (h) => void (check = h),
      setDevicePermissionHandler: (h) => void (device = h),
    });
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'hid', 'openExternal']) {
      const answers: boolean[] = [];
      request!({}, permission, (granted) => answers.push(granted));
      expect(answers, permission).toEqual([false]);
      expect(check!({}, permission), permission).toBe(false);
    }
    expect(device!({ deviceType: 'usb' })).toBe(false);
  });
});
