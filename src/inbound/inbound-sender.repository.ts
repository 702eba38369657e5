import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Statement } from '../database/pipelined-transactions';
import { execute, isUniqueViolation } from '../database/sql';
import { InboundSender } from './entities/inbound-sender.entity';

/**
 * Per-sender state of the inbound channel, safe under concurrency without locks: the row is
 * created by an insert that may lose to another one (unique key), and every change is one
 * conditional UPDATE checked by affected rows.
 */
@Injectable()
export class InboundSenderRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Counts one message in the sender's fixed window; false when the sender already sent `limit`
   * messages in the current window (the message is then dropped).
   * `window_count` is assigned before `window_start`, so MySQL (which reads values already
   * assigned in the same SET) and SQLite both compare against the old window start.
   */
  async countMessage(
    senderKey: string,
    now: number,
    windowMs: number,
    limit: number,
  ): Promise<boolean> {
    if (await this.createIfAbsent(senderKey, now, 1)) return true;
    const windowOver = now - windowMs;
    const affected = await execute(
      this.dataSource.manager,
      `UPDATE inbound_senders
       SET window_count = CASE WHEN window_start <= ? THEN 1 ELSE window_count + 1 END,
           window_start = CASE WHEN window_start <= ? THEN ? ELSE window_start END
       WHERE sender_key = ? AND (window_start <= ? OR window_count < ?)`,
      [windowOver, windowOver, now, senderKey, windowOver, limit],
    );
    return affected === 1;
  }

  /**
   * MySQL: {@link countMessage} as statements for a packet sent whole, so the count can travel with
   * the read that follows it (InboxRepository.findByTokenHashWithAppCounting): `INSERT IGNORE` of the
   * sender's first message, else the same conditional UPDATE; `counted` reads 1 when the message
   * was counted (within the limit), 0 when it was not.
   */
  countMessageStatements(
    senderKey: string,
    now: number,
    windowMs: number,
    limit: number,
  ): { writes: Statement[]; counted: Statement } {
    const windowOver = now - windowMs;
    return {
      writes: [
        {
          sql: `INSERT IGNORE INTO inbound_senders (sender_key, last_help_at, window_start, window_count) VALUES (?, NULL, ?, 1)`,
          parameters: [senderKey, now],
        },
        { sql: 'SET @wv_sender_new = ROW_COUNT()', parameters: [] },
        {
          sql: `UPDATE inbound_senders
       SET window_count = CASE WHEN window_start <= ? THEN 1 ELSE window_count + 1 END,
           window_start = CASE WHEN window_start <= ? THEN ? ELSE window_start END
       WHERE sender_key = ? AND @wv_sender_new = 0 AND (window_start <= ? OR window_count < ?)`,
          parameters: [windowOver, windowOver, now, senderKey, windowOver, limit],
        },
        { sql: 'SET @wv_sender_counted = @wv_sender_new + ROW_COUNT()', parameters: [] },
      ],
      counted: { sql: 'SELECT @wv_sender_counted AS counted', parameters: [] },
    };
  }

  /** Claims the right to send a help reply: true at most once per `intervalMs` per sender. */
  async claimHelp(senderKey: string, now: number, intervalMs: number): Promise<boolean> {
    await this.createIfAbsent(senderKey, now, 0);
    const affected = await execute(
      this.dataSource.manager,
      `UPDATE inbound_senders SET last_help_at = ? WHERE sender_key = ? AND (last_help_at IS NULL OR last_help_at <= ?)`,
      [now, senderKey, now - intervalMs],
    );
    return affected === 1;
  }

  private async createIfAbsent(senderKey: string, now: number, count: number): Promise<boolean> {
    const row: InboundSender = {
      senderKey,
      lastHelpAt: null,
      windowStart: now,
      windowCount: count,
    };
    try {
      await this.dataSource.manager.insert(InboundSender, row);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }
}
