import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

/** `POST /v1/sandbox/inbound`: a person writes to the business number. */
export class SandboxInboundDto {
  @ApiProperty({
    description: 'Sender phone number (E.164; common spellings are normalised).',
    example: '+6281212345678',
    maxLength: 32,
  })
  @IsString()
  @MaxLength(32)
  from: string;

  @ApiProperty({
    description: 'What the person sends, e.g. the `waMessage` of an inbound verification.',
    example:
      'Verify my number for Acme: WAV-7KQ2-M9XD-4HTB. Send this message without changing it.',
    maxLength: 4096,
  })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  text: string;
}

export class SandboxInboundResponseDto {
  @ApiProperty({
    description:
      'The message went through the inbound pipeline (replies are in GET /v1/sandbox/messages).',
    example: true,
  })
  accepted: boolean;

  @ApiProperty({
    description: 'Id given to the simulated inbound message.',
    example: 'sandbox-in-01937a5c-3f1e-7c2a-9b4d-2f6e8a1c0d3b',
  })
  messageId: string;
}
