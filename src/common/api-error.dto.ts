import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ErrorCode } from './errors';

export class ApiErrorDetailDto {
  @ApiPropertyOptional({ description: 'Field the problem is about.', example: 'phone' })
  field?: string;

  @ApiProperty({ description: 'What is wrong with it.', example: 'phone must be a string' })
  message: string;
}

/** The body of every error response. */
export class ApiErrorDto {
  @ApiProperty({ description: 'HTTP status.', example: 409 })
  statusCode: number;

  @ApiProperty({
    description: 'Stable machine code.',
    enum: ErrorCode,
    example: ErrorCode.VERIFICATION_NOT_PENDING,
  })
  code: ErrorCode;

  @ApiProperty({ description: 'Human readable message.', example: 'Verification is not pending' })
  message: string;

  @ApiPropertyOptional({
    description: 'Validation problems, one per field.',
    type: [ApiErrorDetailDto],
  })
  details?: ApiErrorDetailDto[];

  @ApiPropertyOptional({
    description: 'Current status (verification_not_pending).',
    example: 'approved',
  })
  status?: string;

  @ApiPropertyOptional({
    description: 'Verification id (delivery_failed).',
    example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70',
  })
  id?: string;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'validation_failed or invalid_phone',
  401: 'unauthorized (or invalid_signature for provider webhooks)',
  403: 'forbidden or country_not_allowed',
  404: "not_found (also for another app's ids)",
  409: 'verification_not_pending (with status) or idempotency_conflict',
  413: 'payload_too_large',
  429: 'rate_limited, resend_too_soon or max_sends_reached, with a Retry-After header in seconds',
  502: 'delivery_failed (with the verification id)',
};

/** Documents the error responses a route can give, all with the {@link ApiErrorDto} body. */
export function ApiErrorResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'error', type: ApiErrorDto }),
    ),
  );
}
