import { Global, Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AuditController } from './audit.controller';
import { AuditQueryService } from './audit-query.service';
import { AuditRetentionService } from './audit-retention.service';
import { AuditService } from './audit.service';

@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditService, Clock, AuditQueryService, AuditRetentionService],
  exports: [AuditService, Clock],
})
export class AuditModule {}
