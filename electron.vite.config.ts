// Build of the desktop app: main (and the run query process it starts as a utility process) and preload from electron/,
// the renderer from renderer/.
// The preload is CommonJS because sandboxed preloads cannot be ES modules, and bundles zod (it
// validates menu commands) because a sandboxed preload can require only Electron's own modules.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { rendererConfig } from './vite.renderer.config';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve('electron/main/index.ts'), runQueryChild: resolve('electron/service/runQueryChild.ts') },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: { exclude: ['zod'] },
      rollupOptions: {
        input: { index: resolve('electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig,
});
