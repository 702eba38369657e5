import fastifyStatic from '@fastify/static';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { AppConfig } from '../config/app-config';
import { PAGE_SECURITY_HEADERS, WEB_ASSETS_PREFIX, webAssetsDir } from './web-assets';

/**
 * Serves the pages' built scripts, styles and images under /web/ (when a page is enabled and the
 * pages are built). Vite names them by content hash, so they are cached for a year.
 */
export async function registerWebAssets(
  app: NestFastifyApplication,
  config: Pick<AppConfig, 'demoEnabled' | 'consoleEnabled'>,
  root = webAssetsDir(),
): Promise<void> {
  if (!(config.demoEnabled || config.consoleEnabled) || !existsSync(root)) return;
  await app.register(fastifyStatic, {
    root,
    prefix: WEB_ASSETS_PREFIX,
    decorateReply: false,
    index: false,
    // The pages' HTML is served by WebPagesController only (it applies DEMO_/CONSOLE_ENABLED).
    allowedPath: (path) => !path.endsWith('.html'),
    setHeaders: (res, path) => {
      for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS))
        void res.header(name, value);
      void res.header(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
}
