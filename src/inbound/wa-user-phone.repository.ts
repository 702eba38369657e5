import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { execute, isUniqueViolation } from '../database/sql';
import { WaUserPhone } from './entities/wa-user-phone.entity';

/**
 * The user id ↔ phone pairs WhatsApp revealed: a sender who later writes with the phone hidden
 * (user id only) is the person with that phone. Kept without locks: an insert that may lose to a
 * concurrent one, then one conditional UPDATE that only a newer sighting wins.
 */
@Injectable()
export class WaUserPhoneRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async remember(userId: string, phone: string, seenAt: number): Promise<void> {
    try {
      await this.dataSource.manager.insert(WaUserPhone, { userId, phone, seenAt });
      return;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    await execute(
      this.dataSource.manager,
      'UPDATE wa_user_phones SET phone = ?, seen_at = ? WHERE user_id = ? AND seen_at <= ?',
      [phone, seenAt, userId, seenAt],
    );
  }

  /** The phone last seen with this user id, or null (primary-key lookup). */
  async phoneOf(userId: string): Promise<string | null> {
    const row = await this.dataSource.getRepository(WaUserPhone).findOneBy({ userId });
    return row?.phone ?? null;
  }
}
