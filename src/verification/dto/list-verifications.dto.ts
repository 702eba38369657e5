import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEnum, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { Flow, VerificationStatus } from '../verification.types';

export class ListVerificationsQueryDto {
  @ApiPropertyOptional({
    description: 'Only this phone (E.164 or a common spelling).',
    example: '+6281212345678',
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  phone?: string;

  @ApiPropertyOptional({ description: 'Only this status.', enum: VerificationStatus })
  @IsOptional()
  @IsEnum(VerificationStatus)
  status?: VerificationStatus;

  @ApiPropertyOptional({ description: 'Only this flow.', enum: Flow })
  @IsOptional()
  @IsEnum(Flow)
  flow?: Flow;

  @ApiPropertyOptional({
    description: 'Page size, 1..100.',
    example: 20,
    default: 20,
    type: 'integer',
    minimum: 1,
    maximum: 100,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: '`nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  cursor?: string;
}
