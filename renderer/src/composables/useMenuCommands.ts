// The desktop menu in the renderer: while the shell is mounted under Electron it subscribes to the
// menu's commands and carries them out: Go opens a screen, Import scenario loads the file the
// main process read into the configurator (parsed by the configurator's own import code, then
// validated by the lab), Import run and Import trace hand the file main read to the lab and open the
// run (a bundle already in the lab opens the run that has it, with a notice), Export scenario saves the draft through the native save dialog, Export
// run asks the lab for the export (main shows its save dialog), and theme and shortcut-list
// toggles go to the shell. Failures go to the error banner.
// Must not: subscribe in browser mode (there is no menu), or parse scenarios itself.

import { onBeforeUnmount, onMounted } from 'vue';
import { useRouter } from 'vue-router';
import type { DesktopShellApi, MenuCommand } from '../../../core/contract/desktopShell';
import { lab } from '../api/labClient';
import { parseScenarioFile, scenarioFileName, serializeScenario } from '../features/configurator/scenarioFile';
import { cloneScenario } from '../schema/scenarioPath';
import { useNoticesStore } from '../stores/notices';
import { useScenarioDraftStore } from '../stores/scenarioDraft';
import { subscribeMenuCommands, type MenuCommandHandlers } from './menuCommands';

declare global {
  interface Window {
    readonly pcilabDesktop?: DesktopShellApi;
  }
}

const ACTIONS: Readonly<Record<MenuCommand['kind'], string>> = {
  navigate: 'Opening the screen',
  'import-scenario': 'Importing the scenario file',
  'export-scenario': 'Exporting the scenario',
  'import-run': 'Importing the run bundle',
  'import-trace': 'Importing the trace',
  'export-run': 'Exporting the run',
  'toggle-theme': 'Switching the theme',
  'show-shortcuts': 'Showing the shortcuts',
};

export function useMenuCommands(shell: { toggleTheme: () => void; showShortcuts: () => void }): void {
  const router = useRouter();
  const draft = useScenarioDraftStore();
  const notices = useNoticesStore();

  const handlers: MenuCommandHandlers = {
    navigate: async (path) => void (await router.push(path)),
    async importScenario(fileName, text) {
      const parsed = parseScenarioFile(text, fileName);
      if (!parsed.ok) throw new Error(parsed.problem);
      draft.load(parsed.scenario, { kind: 'file', name: fileName });
      await router.push('/new');
      await draft.validateNow();
    },
    async exportScenario(format) {
      if (!draft.initialized) throw new Error('there is no scenario to export yet: open New run first');
      const scenario = cloneScenario(draft.scenario);
      const request = { fileName: scenarioFileName(scenario, format), format, text: serializeScenario(scenario, format) };
      const result = await window.pcilabDesktop!.saveScenarioFile(request);
      if (result.kind === 'failed') throw new Error(result.message);
    },
    async importRun(fileName, dataBase64) {
      const r = await lab.importRunBundle({ fileName, dataBase64 });
      await router.push(`/runs/${r.runId}`);
      if (r.kind === 'duplicate')
        notices.report(`Importing ${fileName}`, new Error(`already in the lab (same content) as run ${r.runId}; not imported again`));
    },
    async importTrace(fileName, text) {
      const { runId } = await lab.importTrace({ fileName, text });
      await router.push(`/runs/${runId}`);
    },
    exportRun: async (runId, format) => void (await lab.exportRun(runId, format)),
    toggleTheme: shell.toggleTheme,
    showShortcuts: shell.showShortcuts,
  };

  let unsubscribe: () => void = () => undefined;
  onMounted(() => {
    unsubscribe = subscribeMenuCommands(window.pcilabDesktop, handlers, (command, err) => notices.report(ACTIONS[command.kind], err));
  });
  onBeforeUnmount(() => unsubscribe());
}
