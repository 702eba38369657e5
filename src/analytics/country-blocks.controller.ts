import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentActor } from '../auth/auth.decorators';
import { Actor } from '../auth/auth.types';
import { ApiErrorResponses } from '../common/api-error.dto';
import { DomainException, ErrorCode } from '../common/errors';
import { CountryBlocksService } from './country-blocks.service';

@ApiTags('apps (admin)')
@ApiErrorResponses(400, 401, 404)
@Auth('admin')
@Controller('v1/apps')
export class CountryBlocksController {
  constructor(private readonly blocks: CountryBlocksService) {}

  @Delete(':id/country-blocks/:callingCode')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'liftCountryBlock',
    summary:
      "Lift a fraud guard's block of a country calling code at once (audited as fraud.unblocked)",
  })
  @ApiParam({
    name: 'callingCode',
    description: 'Country calling code, digits only.',
    example: '62',
  })
  @ApiNoContentResponse({ description: 'Lifted.' })
  async lift(
    @Param('id') id: string,
    @Param('callingCode') callingCode: string,
    @CurrentActor() actor: Actor,
  ): Promise<void> {
    if (!/^[1-9]\d{0,3}$/.test(callingCode))
      throw new DomainException(ErrorCode.VALIDATION_FAILED, 'callingCode must be 1 to 4 digits', {
        details: [{ field: 'callingCode', message: 'callingCode must be 1 to 4 digits, e.g. 62' }],
      });
    await this.blocks.lift(id, callingCode, actor);
  }
}
