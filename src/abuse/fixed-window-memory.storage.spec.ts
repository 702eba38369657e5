import { FixedWindowMemoryStorage } from './fixed-window-memory.storage';

describe('FixedWindowMemoryStorage', () => {
  let now: number;
  let storage: FixedWindowMemoryStorage;

  beforeEach(() => {
    now = Date.UTC(2026, 0, 1);
    storage = new FixedWindowMemoryStorage(() => now);
  });
  afterEach(() => storage.onApplicationShutdown());

  it('counts hits in a window and blocks past the limit for the block duration', async () => {
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(await storage.increment('k', 60_000, 2, 120_000, 'api-key'));
    expect(answers.map((a) => [a.totalHits, a.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(answers[2]).toMatchObject({ timeToExpire: 60, timeToBlockExpire: 120 });

    // A new window starts, but the block (120 s) outlives the window (60 s), as with Redis.
    now += 61_000;
    await expect(storage.increment('k', 60_000, 2, 120_000, 'api-key')).resolves.toMatchObject({
      totalHits: 1,
      isBlocked: true,
      timeToBlockExpire: 59,
    });
    now += 60_000;
    await expect(storage.increment('k', 60_000, 2, 120_000, 'api-key')).resolves.toMatchObject({
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });

  it('keeps keys and limiters apart', async () => {
    await storage.increment('a', 60_000, 1, 60_000, 'api-key');
    await expect(storage.increment('a', 60_000, 1, 60_000, 'phone-15m')).resolves.toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
    await expect(storage.increment('b', 60_000, 1, 60_000, 'api-key')).resolves.toMatchObject({
      totalHits: 1,
    });
    await expect(storage.increment('a', 60_000, 1, 60_000, 'api-key')).resolves.toMatchObject({
      totalHits: 2,
      isBlocked: true,
    });
  });

  it('holds one counter per key however many hits it takes, and forgets ended windows', async () => {
    for (let i = 0; i < 10_000; i++)
      await storage.increment('busy', 60_000, 1_000_000, 60_000, 'api-key');
    await storage.increment('quiet', 1_000, 5, 1_000, 'api-key');
    expect(storage.size).toBe(2);
    await expect(
      storage.increment('busy', 60_000, 1_000_000, 60_000, 'api-key'),
    ).resolves.toMatchObject({
      totalHits: 10_001,
    });

    now += 2_000;
    storage.sweep();
    expect(storage.size).toBe(1); // 'quiet' ended; 'busy' still counts
    now += 60_000;
    storage.sweep();
    expect(storage.size).toBe(0);
  });

  it('keeps a blocked key through the sweep until its block ends', async () => {
    await storage.increment('k', 1_000, 0, 30_000, 'auth-failure');
    now += 5_000;
    storage.sweep();
    expect(storage.size).toBe(1);
    now += 30_000;
    storage.sweep();
    expect(storage.size).toBe(0);
  });
});
