import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// The app is served by `marchproxy serve` at `/` (same origin as the API).
// In standalone dev mode, VITE_API_URL points at the API server.
export default defineConfig({
  base: '/',
  plugins: [react()],
  // `@/…` is `src/…` (also in tsconfig.json `paths`).
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/testing/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    css: false,
    restoreMocks: true,
    // Form tests type a lot through user-event: leave room on a loaded 2-CPU machine.
    testTimeout: 20_000,
  },
});
