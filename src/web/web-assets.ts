import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The pages (/demo, /console) are built by Vite (`npm run build:web`, part of `npm run build`) into
 * `dist/web` at the package root. The root is found by walking up from this file, so the same path
 * holds when the service runs from dist/src (built) and from src (tests under ts-jest).
 */
export function webAssetsDir(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + __dirname);
    dir = parent;
  }
  return join(dir, 'dist', 'web');
}

/** URL prefix of the built scripts, styles and images (Vite's `base`). */
export const WEB_ASSETS_PREFIX = '/web/';

export type WebPage = 'demo' | 'console';

/** The built HTML of a page, read once; null when the pages have not been built. */
export class WebPageFiles {
  private readonly cache = new Map<WebPage, string>();

  constructor(private readonly dir = webAssetsDir()) {}

  html(page: WebPage): string | null {
    const cached = this.cache.get(page);
    if (cached !== undefined) return cached;
    const file = join(this.dir, page, 'index.html');
    if (!existsSync(file)) return null;
    const html = readFileSync(file, 'utf8');
    this.cache.set(page, html);
    return html;
  }
}

/**
 * Content-Security-Policy of the pages and their assets: scripts, styles, fonts and connections
 * only from this origin, no inline script or style, images from this origin or `data:` (the QR
 * code the API returns), never framed.
 */
export const PAGES_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers sent with every page and asset. */
export const PAGE_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': PAGES_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};
