import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

// `vite build panel` writes panel/dist, which the hub serves at /. `vite panel` proxies the API to a hub on :8080.
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 800 },
  server: { proxy: { '/api': { target: process.env.CHANNELSYNC_URL ?? 'http://127.0.0.1:8080', changeOrigin: true } } },
});
