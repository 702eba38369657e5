import {
  Controller,
  Get,
  Headers,
  HttpCode,
  Post,
  Query,
  RawBodyRequest,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Auth } from '../auth/auth.decorators';
import { ApiErrorResponses } from '../common/api-error.dto';
import {
  MetaHandshakeQueryDto,
  MetaWebhookNotificationDto,
  TwilioWebhookFormDto,
  WebhookAckDto,
} from './dto/provider-webhook.dto';
import { ProviderWebhooksService } from './provider-webhooks.service';

const EMPTY_TWIML = '<Response></Response>';

/** Provider webhooks: authenticated by the provider's signature, never by API key. */
@ApiTags('provider webhooks')
@Auth('none')
@Controller('v1/webhooks')
export class ProviderWebhooksController {
  constructor(private readonly webhooks: ProviderWebhooksService) {}

  @Get('meta')
  @ApiOperation({
    operationId: 'metaWebhookHandshake',
    summary:
      "Meta's webhook subscription handshake: answers hub.challenge when hub.verify_token equals META_VERIFY_TOKEN",
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'The challenge, as plain text.',
    schema: { type: 'string', example: '1158201444' },
  })
  @ApiErrorResponses(400, 403)
  metaHandshake(
    @Query() query: MetaHandshakeQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): string {
    const challenge = this.webhooks.metaHandshake(query);
    void reply.type('text/plain; charset=utf-8');
    return challenge;
  }

  @Post('meta')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'receiveMetaWebhook',
    summary:
      'WhatsApp Cloud API notifications (inbound messages and delivery statuses); processed asynchronously, each message id once',
  })
  @ApiHeader({
    name: 'x-hub-signature-256',
    required: true,
    description: '`sha256=<hex HMAC-SHA256 of the raw body with META_APP_SECRET>`',
  })
  @ApiBody({ type: MetaWebhookNotificationDto })
  @ApiOkResponse({ type: WebhookAckDto })
  @ApiErrorResponses(400, 401, 413)
  receiveMeta(
    @Req() req: RawBodyRequest<FastifyRequest>,
    @Headers('x-hub-signature-256') signature?: string,
  ): Promise<WebhookAckDto> {
    return this.webhooks.receiveMeta(req.rawBody, signature, req.body, req.ip ?? null);
  }

  @Post('twilio')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'receiveTwilioWebhook',
    summary: 'Twilio status callbacks and inbound messages; answers an empty TwiML document',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiHeader({
    name: 'x-twilio-signature',
    required: true,
    description:
      'Signature over TWILIO_WEBHOOK_URL and the form parameters, with TWILIO_AUTH_TOKEN',
  })
  @ApiBody({ type: TwilioWebhookFormDto })
  @ApiProduces('text/xml')
  @ApiOkResponse({
    description: 'Empty TwiML: no reply from Twilio itself.',
    schema: { type: 'string', example: EMPTY_TWIML },
  })
  @ApiErrorResponses(400, 401, 413)
  async receiveTwilio(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('x-twilio-signature') signature?: string,
  ): Promise<string> {
    await this.webhooks.receiveTwilio(req.body, signature, req.ip ?? null);
    void reply.type('text/xml; charset=utf-8');
    return EMPTY_TWIML;
  }
}
