import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { VelocityGuard } from '../abuse/velocity-guard.service';
import { AuditService } from '../audit/audit.service';
import { Actor } from '../auth/auth.types';
import { Clock } from '../common/clock';
import { notFound } from '../common/errors';
import { mainCountryOf } from '../common/phone';
import { ConversionBlockRepository, SHADOW_KIND } from './conversion.repository';

/** Lifting the fraud guards' country blocks (operator decision). */
@Injectable()
export class CountryBlocksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly blocks: ConversionBlockRepository,
    private readonly velocity: VelocityGuard,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * Ends the app's active blocks of the calling code now (velocity and low conversion; a pending
   * shadow decision too, so the conversion guard starts afresh). 404 when none was active. Other
   * instances see the lift within their block cache (5 s).
   */
  async lift(appId: string, callingCode: string, actor: Actor): Promise<void> {
    const now = this.clock.now();
    const lifted = await this.dataSource.transaction(async (manager) => {
      if (!(await manager.getRepository(App).existsBy({ id: appId }))) throw notFound('App');
      const count = await this.blocks.lift(
        manager,
        appId,
        callingCode,
        ['velocity', 'low_conversion'],
        now,
      );
      if (count === 0) return false;
      await this.blocks.lift(manager, appId, callingCode, [SHADOW_KIND], now);
      await this.audit.record(
        {
          type: 'fraud.unblocked',
          appId,
          actor,
          data: { callingCode, country: mainCountryOf(callingCode) },
        },
        manager,
      );
      return true;
    });
    this.velocity.forgetBlock(appId, callingCode);
    if (!lifted) throw notFound('Country block');
  }
}
