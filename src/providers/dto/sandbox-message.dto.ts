import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { Channel } from '../../verification/verification.types';

export class ListSandboxMessagesQueryDto {
  @ApiPropertyOptional({
    description: 'Only messages sent to this number (E.164; common spellings are normalised).',
    example: '+6281212345678',
    maxLength: 32,
  })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone?: string;
}

export class SandboxMessageResponseDto {
  @ApiProperty({
    description: 'Id of the stored sandbox message.',
    example: '01937a5c-3f1e-7c2a-9b4d-2f6e8a1c0d3b',
  })
  id: string;

  @ApiProperty({ description: 'Recipient in E.164.', example: '+6281212345678' })
  to: string;

  @ApiProperty({
    description: 'Channel the message was "sent" on.',
    enum: Channel,
    example: Channel.WHATSAPP,
  })
  channel: Channel;

  @ApiProperty({
    description: 'The text that a real provider would have delivered.',
    example: 'Your Acme code is 123456.',
  })
  text: string;

  @ApiProperty({
    description: 'When it was "sent" (ISO 8601).',
    example: '2025-01-01T12:00:00.000Z',
  })
  createdAt: string;
}
