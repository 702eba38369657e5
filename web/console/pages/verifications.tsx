import { useEffect, useRef, useState } from 'preact/hooks';
import { type Api, type AuditEvent, ok, type Verification } from '../api';
import { count, describe, maskPhone, shortId, when } from '../format';
import { Badge, ErrorText, Status, TableScroll, useLoad } from '../ui';

const STATUSES = ['pending', 'approved', 'canceled', 'expired', 'max_attempts_reached', 'failed'];

type Filter = { status: string; flow: string; phone: string };

export function VerificationsPage({ api }: { api: Api }) {
  const [draft, setDraft] = useState<Filter>({ status: '', flow: '', phone: '' });
  const [filter, setFilter] = useState<Filter>(draft);
  const [more, setMore] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);

  const list = useLoad(async () => {
    const query = {
      limit: 25,
      ...(filter.status ? { status: filter.status as Verification['status'] } : {}),
      ...(filter.flow ? { flow: filter.flow as Verification['flow'] } : {}),
      ...(filter.phone ? { phone: filter.phone } : {}),
    };
    const first = await ok(api.GET('/v1/verifications', { params: { query } }));
    let rows = first.data;
    let cursor = first.nextCursor;
    for (let i = 0; i < more && cursor; i++) {
      const next = await ok(
        api.GET('/v1/verifications', { params: { query: { ...query, cursor } } }),
      );
      rows = rows.concat(next.data);
      cursor = next.nextCursor;
    }
    return { rows, cursor };
  }, [filter, more]);

  const apply = (event: Event) => {
    event.preventDefault();
    setMore(0);
    setFilter({ ...draft, phone: draft.phone.trim() });
  };

  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Verifications</h2>
      <form class="filters" onSubmit={apply}>
        <label>
          Status
          <select
            value={draft.status}
            onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value })}
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Flow
          <select
            value={draft.flow}
            onChange={(e) => setDraft({ ...draft, flow: e.currentTarget.value })}
          >
            <option value="">Any</option>
            <option value="outbound">outbound</option>
            <option value="inbound">inbound</option>
          </select>
        </label>
        <label>
          Phone
          <input
            type="tel"
            inputMode="tel"
            autoComplete="off"
            placeholder="+6281212345678"
            value={draft.phone}
            onInput={(e) => setDraft({ ...draft, phone: e.currentTarget.value })}
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorText error={list.error} />
      <Status>
        {list.loading
          ? 'Loading verifications…'
          : list.data
            ? `${count(list.data.rows.length, 'verification')} shown.`
            : ''}
      </Status>
      {list.data && list.data.rows.length > 0 && (
        <TableScroll label="Verifications">
          <table>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Id</th>
                <th scope="col">Flow</th>
                <th scope="col">Channel</th>
                <th scope="col">Phone</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Timeline</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.rows.map((v) => (
                <tr
                  key={v.id}
                  data-verification-id={v.id}
                  class={v.id === selected ? 'current' : ''}
                >
                  <td>{when(v.createdAt)}</td>
                  <td>
                    <code title={v.id}>{shortId(v.id)}</code>
                  </td>
                  <td>{v.flow}</td>
                  <td>{v.channel}</td>
                  <td>{maskPhone(v.phone)}</td>
                  <td>
                    <Badge value={v.status} />
                  </td>
                  <td>
                    <button
                      type="button"
                      class="link"
                      aria-expanded={v.id === selected}
                      aria-controls="timeline"
                      onClick={() => setSelected(v.id === selected ? null : v.id)}
                    >
                      Timeline<span class="visually-hidden"> of {shortId(v.id)}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {list.data?.cursor && (
        <button type="button" class="secondary" onClick={() => setMore(more + 1)}>
          Load more
        </button>
      )}
      <div id="timeline">{selected && <Timeline api={api} id={selected} />}</div>
    </section>
  );
}

/** What happened to one verification: its audit events (phones masked) and its latest message. */
function Timeline({ api, id }: { api: Api; id: string }) {
  const story = useLoad(async () => {
    const [verification, events] = await Promise.all([
      ok(api.GET('/v1/verifications/{id}', { params: { path: { id } } })),
      allEvents(api, id),
    ]);
    return { verification, events };
  }, [id]);
  // Keyboard and screen-reader users are taken to the timeline they opened.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [id]);
  return (
    <section class="card timeline" aria-labelledby="timeline-title">
      <h3 id="timeline-title" tabIndex={-1} ref={heading}>
        Timeline of <code>{shortId(id)}</code>
      </h3>
      <ErrorText error={story.error} />
      {story.loading && <Status>Loading the timeline…</Status>}
      {story.data && (
        <>
          <dl class="facts">
            <dt>Id</dt>
            <dd>
              <code>{story.data.verification.id}</code>
            </dd>
            <dt>Phone</dt>
            <dd>{maskPhone(story.data.verification.phone)}</dd>
            <dt>Status</dt>
            <dd>
              <Badge value={story.data.verification.status} />
            </dd>
            <dt>Message</dt>
            <dd>
              {story.data.verification.delivery
                ? `${story.data.verification.delivery.channel}: ${story.data.verification.delivery.status}`
                : 'none sent'}
            </dd>
            <dt>Expires</dt>
            <dd>{when(story.data.verification.expiresAt)}</dd>
          </dl>
          <Status>{`${story.data.events.length} event${story.data.events.length === 1 ? '' : 's'}.`}</Status>
          <ol class="events">
            {story.data.events.map((event) => (
              <li key={event.id}>
                <time dateTime={event.createdAt}>{when(event.createdAt)}</time>{' '}
                <strong>{event.type}</strong> <span class="muted">by {event.actor.type}</span>
                {event.data && Object.keys(event.data).length > 0 && (
                  <span class="event-data">{describe(event.data)}</span>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

async function allEvents(api: Api, verificationId: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  // A verification has a few dozen events at most; the bound keeps a runaway story finite.
  for (let page = 0; page < 10; page++) {
    const next = await ok(
      api.GET('/v1/audit-events', {
        params: { query: { verificationId, limit: 200, ...(cursor ? { cursor } : {}) } },
      }),
    );
    events.push(...next.data);
    if (!next.nextCursor) break;
    cursor = next.nextCursor;
  }
  return events;
}
