import { v7 as uuidv7 } from 'uuid';
import { uuidV7Floor } from './audit-query.service';

describe('uuidV7Floor', () => {
  it('sorts at or before every UUIDv7 minted at that millisecond, and after every earlier one', () => {
    const ms = Date.UTC(2026, 10, 21, 10, 0, 0, 123);
    for (let i = 0; i < 200; i++) {
      const id = uuidv7({ msecs: ms });
      expect(uuidV7Floor(ms) <= id).toBe(true);
      expect(uuidV7Floor(ms + 1) > id).toBe(true);
      expect(uuidv7({ msecs: ms - 1 }) < uuidV7Floor(ms)).toBe(true);
    }
  });
});
