import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentActor } from '../auth/auth.decorators';
import { Actor } from '../auth/auth.types';
import { ApiErrorResponses } from '../common/api-error.dto';
import { CountryBlocksService } from './country-blocks.service';
import { CountryBlockParamsDto } from './dto/country-block-params.dto';

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
  @ApiNoContentResponse({ description: 'Lifted.' })
  async lift(@Param() params: CountryBlockParamsDto, @CurrentActor() actor: Actor): Promise<void> {
    await this.blocks.lift(params.id, params.callingCode, actor);
  }
}
