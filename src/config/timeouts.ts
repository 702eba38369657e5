/**
 * Bounds that keep at-most-once work safe across instances. Every outbound HTTP timeout
 * (META_TIMEOUT, TWILIO_TIMEOUT, WEBHOOK_TIMEOUT) is capped at {@link MAX_OUTBOUND_TIMEOUT_MS} by
 * config validation, and every lease or stale window that guards work doing such calls is derived
 * from that cap, so a lease can never run out while its holder is still waiting on a provider and
 * two instances never process one item at once.
 */

/** Upper bound of META_TIMEOUT, TWILIO_TIMEOUT and WEBHOOK_TIMEOUT. */
export const MAX_OUTBOUND_TIMEOUT_MS = 30_000;

/** Slack on top of the provider calls for the database work around them (and clock skew between instances). */
export const LEASE_MARGIN_MS = 30_000;

/** Most provider calls one send of a code makes: every step of a delivery plan (3 at most). */
const MAX_SENDS_PER_PLAN = 3;

/**
 * Longest a creation can spend sending: each step of its plan (its channel and fallbacks, or its
 * workflow) up to the cap. An Idempotency-Key claimed longer ago than this without a verification
 * belongs to a request that died.
 */
export const CREATION_SEND_WINDOW_MS =
  MAX_SENDS_PER_PLAN * MAX_OUTBOUND_TIMEOUT_MS + LEASE_MARGIN_MS;

/**
 * Lease of a claimed delivery step (workflow timeout or throttled retry): running it sends along
 * the rest of the plan, each step bounded by the cap.
 */
export const DELIVERY_STEP_LEASE_MS =
  MAX_SENDS_PER_PLAN * MAX_OUTBOUND_TIMEOUT_MS + LEASE_MARGIN_MS;

/**
 * Lease of an inbox event: processing one makes at most two provider calls (a reply or a code and,
 * for a failed WhatsApp code, the SMS fallback), each bounded by the cap.
 */
export const INBOX_LEASE_MS = 2 * MAX_OUTBOUND_TIMEOUT_MS + LEASE_MARGIN_MS;
