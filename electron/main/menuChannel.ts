// The one main -> renderer channel: menu commands, each validated against the command union
// before it is sent (the preload validates again on arrival).
// Must not: send anything but a MenuCommand, or send to a window that is gone.

import { MENU_COMMAND_CHANNEL, MenuCommandSchema, type MenuCommand } from '../../core/contract/desktopShell';

/** The slice of Electron's WebContents the channel uses. */
export interface CommandTarget {
  isDestroyed(): boolean;
  send(channel: string, command: MenuCommand): void;
}

/** Sends `command` to `target`; returns false when there is no live window or the command is malformed. */
export function sendMenuCommand(target: CommandTarget | null, command: MenuCommand): boolean {
  if (target === null || target.isDestroyed()) return false;
  const parsed = MenuCommandSchema.safeParse(command);
  if (!parsed.success) return false;
  target.send(MENU_COMMAND_CHANNEL, parsed.data);
  return true;
}
