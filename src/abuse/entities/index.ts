import { CountryBlock } from './country-block.entity';
import { VelocityCounter } from './velocity-counter.entity';

export const AbuseEntities = [CountryBlock, VelocityCounter];
export { CountryBlock, VelocityCounter };
