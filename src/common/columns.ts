import { ValueTransformer } from 'typeorm';

/**
 * Instants are stored as epoch milliseconds in BIGINT columns: identical on SQLite and MySQL,
 * no time-zone conversions, and cheap to compare in conditional updates.
 */
export const epochMs: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) =>
    value === null || value === undefined ? null : Number(value),
};

/** JSON stored as text (portable across SQLite and MySQL). */
export const jsonText: ValueTransformer = {
  to: (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value)),
  from: (value: string | null) =>
    value === null || value === undefined ? null : (JSON.parse(value) as unknown),
};

export const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/** A boolean kept in an INT column (0/1): portable, and bindable in raw SQL on every driver. */
export const intBoolean: ValueTransformer = {
  to: (value: boolean | null | undefined) => (value ? 1 : 0),
  from: (value: number | string | boolean | null) => value === true || Number(value) === 1,
};
