import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';

export class CountryBlockParamsDto {
  @ApiProperty({ description: 'App id.', example: '01936d1e-7b9a-7c4e-9f1a-2b3c4d5e6f71' })
  @IsString()
  @MaxLength(36)
  id: string;

  @ApiProperty({ description: 'Country calling code, digits only.', example: '62' })
  @Matches(/^[1-9]\d{0,3}$/, { message: 'callingCode must be 1 to 4 digits, e.g. 62' })
  callingCode: string;
}
