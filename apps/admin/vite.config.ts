import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Served by the API under /admin/, so every asset URL carries that prefix.
export default defineConfig({
  base: '/admin/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: { proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true } } },
});
