import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../common/columns';

/** A WhatsApp business-scoped user id and the phone Meta showed with it (both in one webhook). */
@Entity('wa_user_phones')
export class WaUserPhone {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 191 })
  userId: string;

  /** E.164. */
  @Column({ type: 'varchar', length: 20 })
  phone: string;

  /** Time of the newest message that showed the pair (an older redelivery never overwrites it). */
  @Column({ name: 'seen_at', type: 'bigint', transformer: epochMs })
  seenAt: number;
}
