import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Both pages are built into dist/web, served by the service: the HTML by WebPagesController at
// /demo and /console, everything else under /web/ (src/web/web-static.ts). Nothing comes from
// another origin, and no script is inlined (the pages' Content-Security-Policy forbids it).
export default defineConfig({
  root: here('.'),
  base: '/web/',
  plugins: [preact()],
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: { demo: here('demo/index.html'), console: here('console/index.html') },
    },
  },
});
