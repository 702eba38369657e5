import { DataSource } from 'typeorm';
import { ConversionRepository } from './conversion.repository';

const repositoryOn = (type: string) =>
  new ConversionRepository({ options: { type } } as unknown as DataSource);

describe('ConversionRepository.upsertSql', () => {
  it('adds with ON CONFLICT … DO UPDATE on SQLite', () => {
    expect(repositoryOn('better-sqlite3').upsertSql(['created'], false)).toBe(
      'INSERT INTO conversion_counters (app_id, day, country, channel, flow, created_count) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (app_id, day, country, channel, flow) DO UPDATE SET created_count = created_count + excluded.created_count',
    );
  });

  it('adds with ON DUPLICATE KEY UPDATE on MariaDB/MySQL, cost from null', () => {
    expect(repositoryOn('mysql').upsertSql(['billed'], true)).toBe(
      'INSERT INTO conversion_counters (app_id, day, country, channel, flow, billed_count, cost_micros) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
        'ON DUPLICATE KEY UPDATE billed_count = billed_count + VALUES(billed_count), cost_micros = COALESCE(cost_micros, 0) + VALUES(cost_micros)',
    );
  });
});
