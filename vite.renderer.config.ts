// Build of the renderer, shared by the desktop app (electron-vite) and the browser host
// (`npm run serve` builds it with plain vite into the same out/renderer).
import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig, type UserConfig } from 'vite';

const root = resolve(import.meta.dirname, 'renderer');

export const rendererConfig: UserConfig = {
  root,
  base: './',
  plugins: [vue()],
  build: {
    outDir: resolve(root, '../out/renderer'),
    emptyOutDir: true,
    // No inline assets or scripts: the CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: { input: resolve(root, 'index.html') },
  },
};

export default defineConfig(rendererConfig);
