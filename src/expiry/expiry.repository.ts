import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, LessThanOrEqual } from 'typeorm';
import { App } from '../apps/entities/app.entity';
import { Verification } from '../verification/entities/verification.entity';
import { VerificationStatus } from '../verification/verification.types';

/** Reads for the expiry sweeper; the transition itself is VerificationRepository.expireIfDue. */
@Injectable()
export class ExpiryRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Pending verifications whose time is up, oldest expiry first (idx_verifications_status_expires). */
  findDuePending(now: number, limit: number): Promise<Verification[]> {
    return this.dataSource.getRepository(Verification).find({
      where: { status: VerificationStatus.PENDING, expiresAt: LessThanOrEqual(now) },
      order: { expiresAt: 'ASC' },
      take: limit,
    });
  }

  /** The apps of one batch, in one query. */
  async appsByIds(ids: string[]): Promise<Map<string, App>> {
    if (ids.length === 0) return new Map();
    const apps = await this.dataSource.getRepository(App).findBy({ id: In(ids) });
    return new Map(apps.map((app) => [app.id, app]));
  }
}
