/** Builds the console into console/dist, which the gateway serves under /console (src/http/console.ts). */
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  // `vite console` during development: the APIs come from a gateway on :3000 (npm run demo).
  server: {
    proxy: { '/admin': 'http://127.0.0.1:3000', '/v1': 'http://127.0.0.1:3000' },
  },
});
