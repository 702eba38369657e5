import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { App } from '../apps/entities/app.entity';
import { Auth, CurrentActor, CurrentApp, IdempotencyKeyHeader } from '../auth/auth.decorators';
import { Actor } from '../auth/auth.types';
import { ApiErrorResponses } from '../common/api-error.dto';
import { DomainException, ErrorCode } from '../common/errors';
import {
  CheckByPhoneDto,
  CheckCodeDto,
  CreateVerificationDto,
  ResendDto,
} from './dto/create-verification.dto';
import { ListVerificationsQueryDto } from './dto/list-verifications.dto';
import {
  CheckResultDto,
  VerificationPageDto,
  VerificationResponseDto,
} from './dto/verification-response.dto';
import { VerificationService } from './verification.service';

@ApiTags('verifications')
@Auth('app')
@ApiErrorResponses(400, 401, 404)
@Controller('v1')
export class VerificationController {
  constructor(private readonly verifications: VerificationService) {}

  @Post('verifications')
  @ApiOperation({
    operationId: 'createVerification',
    summary: 'Start a verification (outbound code or inbound wa.me link)',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Same key and body within 24 h return the same verification without a second message.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  })
  @ApiCreatedResponse({ type: VerificationResponseDto })
  @ApiErrorResponses(403, 409, 413, 429, 502)
  create(
    @CurrentApp() app: App,
    @Body() dto: CreateVerificationDto,
    @CurrentActor() actor: Actor,
    @IdempotencyKeyHeader() idempotencyKey?: string,
  ): Promise<VerificationResponseDto> {
    return this.verifications.create(app, dto, actor, validIdempotencyKey(idempotencyKey));
  }

  @Get('verifications')
  @ApiOperation({
    operationId: 'listVerifications',
    summary: 'List verifications, newest first',
  })
  @ApiOkResponse({ type: VerificationPageDto })
  list(
    @CurrentApp() app: App,
    @Query() query: ListVerificationsQueryDto,
  ): Promise<VerificationPageDto> {
    return this.verifications.list(app, query);
  }

  @Get('verifications/:id')
  @ApiOperation({
    operationId: 'getVerification',
    summary: 'Read a verification',
  })
  @ApiOkResponse({ type: VerificationResponseDto })
  get(@CurrentApp() app: App, @Param('id') id: string): Promise<VerificationResponseDto> {
    return this.verifications.get(app, id);
  }

  @Post('verifications/:id/check')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'checkVerification',
    summary: 'Check the code the person typed',
  })
  @ApiOkResponse({ type: CheckResultDto })
  @ApiErrorResponses(409)
  check(
    @CurrentApp() app: App,
    @Param('id') id: string,
    @Body() dto: CheckCodeDto,
    @CurrentActor() actor: Actor,
  ): Promise<CheckResultDto> {
    return this.verifications.check(app, id, dto.code, actor);
  }

  @Post('verification-checks')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'checkVerificationByPhone',
    summary: "Check a code against the app's latest pending verification for a phone",
  })
  @ApiOkResponse({ type: CheckResultDto })
  @ApiErrorResponses(409)
  checkByPhone(
    @CurrentApp() app: App,
    @Body() dto: CheckByPhoneDto,
    @CurrentActor() actor: Actor,
  ): Promise<CheckResultDto> {
    return this.verifications.checkByPhone(app, dto.phone, dto.code, actor);
  }

  @Post('verifications/:id/resend')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'resendVerification',
    summary: 'Send a new code (the old one stops working)',
  })
  @ApiOkResponse({ type: VerificationResponseDto })
  @ApiErrorResponses(409, 429, 502)
  resend(
    @CurrentApp() app: App,
    @Param('id') id: string,
    @Body() dto: ResendDto,
    @CurrentActor() actor: Actor,
  ): Promise<VerificationResponseDto> {
    return this.verifications.resend(app, id, dto.channel, actor);
  }

  @Post('verifications/:id/cancel')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelVerification',
    summary: 'Cancel a pending verification',
  })
  @ApiOkResponse({ type: VerificationResponseDto })
  @ApiErrorResponses(409)
  cancel(
    @CurrentApp() app: App,
    @Param('id') id: string,
    @CurrentActor() actor: Actor,
  ): Promise<VerificationResponseDto> {
    return this.verifications.cancel(app, id, actor);
  }
}

function validIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (key.length < 1 || key.length > 255) {
    throw new DomainException(
      ErrorCode.VALIDATION_FAILED,
      'Idempotency-Key must be 1 to 255 characters',
      { details: [{ field: 'Idempotency-Key', message: '1 to 255 characters' }] },
    );
  }
  return key;
}
