import { useState } from 'preact/hooks';
import { type Api, type Delivery, type DeliveryDetail, ok } from '../api';
import { count, shortId, when } from '../format';
import { Badge, ErrorText, messageOf, Status, TableScroll, useLoad } from '../ui';

const STATUSES = ['pending', 'succeeded', 'failed'];
const FOLLOW_TRIES = 20;
const FOLLOW_INTERVAL_MS = 500;

/** Client-webhook deliveries of the signed-in app: their attempts, and a retry of a failed one. */
export function DeliveriesPage({ api }: { api: Api }) {
  const [status, setStatus] = useState('');
  const [rows, setRows] = useState<Record<string, Delivery>>({});
  const [outcome, setOutcome] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [opened, setOpened] = useState<string | null>(null);

  const [more, setMore] = useState(0);
  const list = useLoad(async () => {
    const query = { limit: 50, ...(status ? { status: status as Delivery['status'] } : {}) };
    let page = await ok(api.GET('/v1/webhook-deliveries', { params: { query } }));
    let data = page.data;
    for (let i = 0; i < more && page.nextCursor; i++) {
      page = await ok(
        api.GET('/v1/webhook-deliveries', {
          params: { query: { ...query, cursor: page.nextCursor } },
        }),
      );
      data = data.concat(page.data);
    }
    setRows({});
    return { data, nextCursor: page.nextCursor };
  }, [status, more]);

  const retry = async (delivery: Delivery) => {
    setBusy(delivery.id);
    setFailure(null);
    setOutcome(`Sending delivery ${shortId(delivery.id)} again…`);
    try {
      let after: Delivery = await ok(
        api.POST('/v1/webhook-deliveries/{id}/retry', { params: { path: { id: delivery.id } } }),
      );
      setRows((current) => ({ ...current, [after.id]: after }));
      // The retry queues the delivery at once; the dispatcher sends it within a moment. Follow it
      // (a bounded number of times) so the new attempt's answer shows up here.
      for (let i = 0; i < FOLLOW_TRIES && after.attempts === delivery.attempts; i++) {
        await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
        after = await ok(
          api.GET('/v1/webhook-deliveries/{id}', { params: { path: { id: delivery.id } } }),
        );
        setRows((current) => ({ ...current, [after.id]: after }));
      }
      setOutcome(
        after.attempts === delivery.attempts
          ? `Delivery ${shortId(after.id)} is queued to be sent again.`
          : `Delivery ${shortId(after.id)} sent again: attempt ${after.attempts}, ${after.status}` +
              (after.lastStatusCode ? ` (HTTP ${after.lastStatusCode})` : '') +
              '.',
      );
    } catch (error) {
      setOutcome(null);
      setFailure(messageOf(error));
    } finally {
      setBusy(null);
    }
  };

  const shown = (list.data?.data ?? []).map((row) => rows[row.id] ?? row);

  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Webhook deliveries</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select
            value={status}
            onChange={(e) => {
              setMore(0);
              setStatus(e.currentTarget.value);
            }}
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="secondary" onClick={list.reload}>
          Refresh
        </button>
      </form>
      <ErrorText error={list.error ?? failure} />
      <Status>
        {outcome ??
          (list.loading
            ? 'Loading deliveries…'
            : list.data
              ? `${count(shown.length, 'delivery', 'deliveries')} shown.`
              : '')}
      </Status>
      {shown.length > 0 && (
        <TableScroll label="Webhook deliveries">
          <table>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Event</th>
                <th scope="col">Verification</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">Next attempt</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((d) => (
                <tr key={d.id} data-delivery-id={d.id}>
                  <td>{when(d.createdAt)}</td>
                  <td>{d.type}</td>
                  <td>
                    <code title={d.verificationId ?? ''}>{shortId(d.verificationId)}</code>
                  </td>
                  <td>
                    <Badge value={d.status} />
                  </td>
                  <td data-testid="attempts">{d.attempts}</td>
                  <td>{d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? '—')}</td>
                  <td>{when(d.nextAttemptAt)}</td>
                  <td class="actions">
                    <button
                      type="button"
                      class="link"
                      aria-expanded={opened === d.id}
                      onClick={() => setOpened(opened === d.id ? null : d.id)}
                    >
                      Attempts<span class="visually-hidden"> of {shortId(d.id)}</span>
                    </button>
                    {d.status !== 'succeeded' && (
                      <button type="button" disabled={busy === d.id} onClick={() => retry(d)}>
                        Retry<span class="visually-hidden"> {shortId(d.id)}</span>
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {list.data?.nextCursor && (
        <button type="button" class="secondary" onClick={() => setMore(more + 1)}>
          Load more
        </button>
      )}
      {opened && <Attempts api={api} id={opened} version={rows[opened]?.attempts ?? 0} />}
    </section>
  );
}

function Attempts({ api, id, version }: { api: Api; id: string; version: number }) {
  const detail = useLoad<DeliveryDetail>(
    () => ok(api.GET('/v1/webhook-deliveries/{id}', { params: { path: { id } } })),
    [id, version],
  );
  return (
    <section class="card" aria-labelledby="attempts-title">
      <h3 id="attempts-title">
        Attempts of delivery <code>{shortId(id)}</code>
      </h3>
      <ErrorText error={detail.error} />
      {detail.data && (
        <TableScroll label="Attempts">
          <table>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Answer</th>
                <th scope="col">Latency</th>
              </tr>
            </thead>
            <tbody>
              {detail.data.attemptsLog.map((a) => (
                <tr key={a.attempt}>
                  <td>{a.attempt}</td>
                  <td>{when(a.createdAt)}</td>
                  <td>{a.statusCode ? `HTTP ${a.statusCode}` : (a.error ?? '—')}</td>
                  <td>{a.latencyMs} ms</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
