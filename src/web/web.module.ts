import { Module } from '@nestjs/common';
import { WebPageFiles } from './web-assets';
import { WebPagesController } from './web-pages.controller';

/** The /demo and /console pages (built by Vite into dist/web). */
@Module({
  controllers: [WebPagesController],
  providers: [{ provide: WebPageFiles, useFactory: () => new WebPageFiles() }],
})
export class WebModule {}
