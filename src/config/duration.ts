const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses `500ms`, `30s`, `2m`, `1h`, `1d` into milliseconds. The unit is required: a bare number
 * is refused (null), because `WEBHOOK_TIMEOUT=10` meaning 10 ms is a trap.
 */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]) * UNITS[match[2]];
  return Number.isFinite(value) ? Math.round(value) : null;
}

/** Parses a comma-separated list of durations; null when any item is not a duration or the list is empty. */
export function parseDurationList(text: string): number[] | null {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (items.length === 0) return null;
  const parsed = items.map(parseDuration);
  return parsed.every((value): value is number => value !== null) ? parsed : null;
}
