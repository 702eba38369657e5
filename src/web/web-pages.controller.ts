import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Auth } from '../auth/auth.decorators';
import { ApiErrorDto, ApiErrorResponses } from '../common/api-error.dto';
import { DomainException, ErrorCode } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PAGE_SECURITY_HEADERS, WebPage, WebPageFiles } from './web-assets';

/** Serves the built HTML of /demo and /console; their scripts come from /web/assets/. */
@ApiTags('pages')
@Auth('none')
@ApiErrorResponses(404)
@ApiResponse({
  status: 503,
  description: 'pages_not_built: the service was started without `npm run build`',
  type: ApiErrorDto,
})
@Controller()
export class WebPagesController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly files: WebPageFiles,
  ) {}

  @Get('demo')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    operationId: 'getDemoPage',
    summary: 'The "Verify with WhatsApp" demo page (DEMO_ENABLED)',
    description:
      'An HTML page that runs both flows against the development app, with a phone simulator when the sandbox provider is in use. 404 `not_found` when DEMO_ENABLED is false.',
  })
  @ApiProduces('text/html')
  @ApiResponse({ status: 200, description: 'The page.' })
  demo(@Res() reply: FastifyReply): void {
    this.send(reply, 'demo', this.config.demoEnabled);
  }

  @Get('console')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    operationId: 'getConsolePage',
    summary: 'The operator console (CONSOLE_ENABLED)',
    description:
      'An HTML page; sign in with the admin key or an app key, which stays in the browser tab and is sent as a bearer token to this API. 404 `not_found` when CONSOLE_ENABLED is false.',
  })
  @ApiProduces('text/html')
  @ApiResponse({ status: 200, description: 'The page.' })
  console(@Res() reply: FastifyReply): void {
    this.send(reply, 'console', this.config.consoleEnabled);
  }

  private send(reply: FastifyReply, page: WebPage, enabled: boolean): void {
    if (!enabled) throw new DomainException(ErrorCode.NOT_FOUND, 'Not found');
    const html = this.files.html(page);
    if (html === null)
      throw new DomainException(
        ErrorCode.PAGES_NOT_BUILT,
        'The web pages have not been built: run `npm run build`',
      );
    void reply.headers(PAGE_SECURITY_HEADERS).type('text/html; charset=utf-8').send(html);
  }
}
