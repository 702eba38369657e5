import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ErrorCode } from './errors';

export class ApiErrorDetailDto {
  @ApiPropertyOptional({ description: 'Field the problem is about.', example: 'phone' })
  field?: string;

  @ApiPropertyOptional({
    description:
      'country_not_allowed from a fraud guard: which one blocked the country (`velocity` or `low_conversion`).',
    example: 'low_conversion',
  })
  reason?: string;

  @ApiProperty({ description: 'What is wrong with it.', example: 'phone must be a string' })
  message: string;
}

/** The body of every error response. */
export class ApiErrorDto {
  @ApiProperty({ description: 'HTTP status.', example: 409, type: 'integer' })
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
  409: 'verification_not_pending (with status), idempotency_conflict or templates_not_configured',
  413: 'payload_too_large',
  429: 'rate_limited, resend_too_soon or max_sends_reached, with a Retry-After header in seconds',
  502: 'delivery_failed (with the verification id), or provider_error (Graph API)',
};

/** One typical body per status, so Swagger UI does not show the same 409 under every status. */
const EXAMPLES: Record<number, ApiErrorDto> = {
  400: {
    statusCode: 400,
    code: ErrorCode.VALIDATION_FAILED,
    message: 'Request validation failed',
    details: [{ field: 'phone', message: 'phone must be a string' }],
  },
  401: {
    statusCode: 401,
    code: ErrorCode.UNAUTHORIZED,
    message: 'Missing or invalid credentials',
  },
  403: {
    statusCode: 403,
    code: ErrorCode.COUNTRY_NOT_ALLOWED,
    message: 'Phone numbers of this country are not allowed for this app',
  },
  404: { statusCode: 404, code: ErrorCode.NOT_FOUND, message: 'Verification not found' },
  409: {
    statusCode: 409,
    code: ErrorCode.VERIFICATION_NOT_PENDING,
    message: 'Verification is not pending',
    status: 'approved',
  },
  413: {
    statusCode: 413,
    code: ErrorCode.PAYLOAD_TOO_LARGE,
    message: 'Request body is too large',
  },
  429: { statusCode: 429, code: ErrorCode.RATE_LIMITED, message: 'Too many requests' },
  502: {
    statusCode: 502,
    code: ErrorCode.DELIVERY_FAILED,
    message: 'No channel could deliver the code',
    id: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f70',
  },
};

/** Documents the error responses a route can give, all with the {@link ApiErrorDto} body. */
export function ApiErrorResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'error',
        type: ApiErrorDto,
        example: EXAMPLES[status],
      }),
    ),
  );
}
