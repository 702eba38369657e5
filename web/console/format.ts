import { maskPhone as maskedPhone } from '../../src/common/phone-mask';

/** `+6281212345678` → `+62812****5678`: the service's own masking, as in the audit trail. */
export function maskPhone(phone: string | null | undefined): string {
  return maskedPhone(phone) ?? '—';
}

const dateTime = new Intl.DateTimeFormat('en', {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
  timeZone: 'UTC',
});

/** Instants in UTC, like the API's counters and the audit trail. */
export function when(value: string | null | undefined): string {
  return value ? `${dateTime.format(new Date(value))} UTC` : '—';
}

/**
 * The last characters of an id, enough to tell rows apart (the full id is in its title): ids are
 * UUIDv7, whose first characters are the creation time and so are shared by neighbours.
 */
export function shortId(id: string | null | undefined): string {
  return id ? id.slice(-8) : '—';
}

export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** `YYYY-MM-DD` of a date, UTC. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** An audit event's details on one line; the service already masks them (no codes, secrets or full phones). */
export function describe(data: Record<string, unknown>): string {
  return Object.entries(data)
    .filter(([key]) => key !== 'requestId')
    .map(
      ([key, value]) =>
        `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
    )
    .join(', ');
}

/** `1 event`, `3 events`; `plural` for irregular words (`deliveries`). */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
