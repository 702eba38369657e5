import { Body, Controller, Get, Header, HttpCode, Ip, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorators';
import { ApiErrorResponses } from '../common/api-error.dto';
import { DemoRateLimiter } from './demo-rate-limiter';
import {
  CreateDemoVerificationDto,
  DemoCheckDto,
  DemoCheckResultDto,
  DemoConfigDto,
  DemoInboundDto,
  DemoInboundResultDto,
  DemoMessageDto,
  DemoVerificationDto,
} from './demo.dto';
import { DemoService } from './demo.service';

/**
 * What the /demo page calls. Public (the page holds no key): the server acts as the development
 * app, names verifications by demo-issued handles only, and limits every client IP. 404 when
 * DEMO_ENABLED is false or there is no development app (production).
 */
@ApiTags('demo')
@Auth('none')
@ApiErrorResponses(404, 429)
@Controller('demo/api')
export class DemoApiController {
  constructor(
    private readonly demo: DemoService,
    private readonly limiter: DemoRateLimiter,
  ) {}

  @Get('config')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    operationId: 'getDemoConfig',
    summary: 'What the demo page needs to know: is the phone simulator available',
  })
  @ApiOkResponse({ type: DemoConfigDto })
  async config(@Ip() ip: string): Promise<DemoConfigDto> {
    await this.limiter.request(ip);
    return this.demo.demoConfig();
  }

  @Post('verifications')
  @ApiOperation({
    operationId: 'createDemoVerification',
    summary:
      'Start a demo verification (outbound code or inbound wa.me link) as the development app',
  })
  @ApiCreatedResponse({ type: DemoVerificationDto })
  @ApiErrorResponses(400, 403, 502)
  async create(
    @Body() dto: CreateDemoVerificationDto,
    @Ip() ip: string,
  ): Promise<DemoVerificationDto> {
    await this.limiter.request(ip);
    await this.limiter.send(ip);
    return this.demo.create(dto, ip ?? null);
  }

  @Get('verifications/:handle')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    operationId: 'getDemoVerification',
    summary: 'Read a demo verification (the page polls it for live status)',
  })
  @ApiOkResponse({ type: DemoVerificationDto })
  async get(@Param('handle') handle: string, @Ip() ip: string): Promise<DemoVerificationDto> {
    await this.limiter.request(ip);
    return this.demo.get(handle, ip ?? null);
  }

  @Post('verifications/:handle/check')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'checkDemoVerification',
    summary: 'Check the code the person typed',
  })
  @ApiOkResponse({ type: DemoCheckResultDto })
  @ApiErrorResponses(400, 409)
  async check(
    @Param('handle') handle: string,
    @Body() dto: DemoCheckDto,
    @Ip() ip: string,
  ): Promise<DemoCheckResultDto> {
    await this.limiter.request(ip);
    return this.demo.check(handle, dto.code, ip ?? null);
  }

  @Post('verifications/:handle/resend')
  @HttpCode(200)
  @ApiOperation({ operationId: 'resendDemoVerification', summary: 'Send a new code' })
  @ApiOkResponse({ type: DemoVerificationDto })
  @ApiErrorResponses(400, 409, 502)
  async resend(@Param('handle') handle: string, @Ip() ip: string): Promise<DemoVerificationDto> {
    await this.limiter.request(ip);
    await this.limiter.send(ip);
    return this.demo.resend(handle, ip ?? null);
  }

  @Get('verifications/:handle/messages')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    operationId: 'listDemoSandboxMessages',
    summary:
      "Phone simulator: what the sandbox sent to the verification's phone, oldest first (sandbox only, else 404)",
  })
  @ApiOkResponse({ type: [DemoMessageDto] })
  async messages(@Param('handle') handle: string, @Ip() ip: string): Promise<DemoMessageDto[]> {
    await this.limiter.request(ip);
    return this.demo.messages(handle, ip ?? null);
  }

  @Post('verifications/:handle/inbound')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'sendDemoSandboxInbound',
    summary:
      'Phone simulator: the person sends the prefilled message from a chosen number (sandbox only, else 404)',
  })
  @ApiOkResponse({ type: DemoInboundResultDto })
  @ApiErrorResponses(400)
  async inbound(
    @Param('handle') handle: string,
    @Body() dto: DemoInboundDto,
    @Ip() ip: string,
  ): Promise<DemoInboundResultDto> {
    await this.limiter.request(ip);
    await this.limiter.send(ip);
    return this.demo.inbound(handle, dto, ip ?? null);
  }
}
