// The lab session's permissions: the lab needs no camera, microphone, notifications, geolocation,
// clipboard reads, HID/USB/serial devices or anything else a page can ask for, so every permission
// request and check is denied (Electron grants them by default).
// Must not: import electron (index.ts passes the session in, tests pass a fake).

/** The slice of Electron's Session used here. */
export interface SessionLike {
  setPermissionRequestHandler(
    handler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null,
  ): void;
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string) => boolean) | null): void;
  setDevicePermissionHandler?(handler: ((details: unknown) => boolean) | null): void;
}

export function denyAllPermissions(session: SessionLike): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler?.(() => false);
}
