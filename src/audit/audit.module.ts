import { Global, Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AuditService } from './audit.service';

@Global()
@Module({
  providers: [AuditService, Clock],
  exports: [AuditService, Clock],
})
export class AuditModule {}
