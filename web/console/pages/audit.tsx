import { useState } from 'preact/hooks';
import { type Api, type Role, type AuditEvent, ok } from '../api';
import { count, describe, shortId, when } from '../format';
import { AppSelect } from './apps';
import { ErrorText, Status, TableScroll, useLoad } from '../ui';

type Filter = { type: string; verificationId: string; since: string; appId: string | null };

/** The audit trail, oldest first from the chosen instant (default: the last 24 hours). */
export function AuditPage({ api, role }: { api: Api; role: Role }) {
  const [draft, setDraft] = useState<Filter>({
    type: '',
    verificationId: '',
    since: new Date(Date.now() - 86_400_000).toISOString().slice(0, 16),
    appId: null,
  });
  const [filter, setFilter] = useState<Filter>(draft);
  const [more, setMore] = useState(0);

  const list = useLoad(async () => {
    const query = {
      limit: 100,
      ...(filter.type ? { type: filter.type } : {}),
      ...(filter.verificationId ? { verificationId: filter.verificationId } : {}),
      ...(filter.since ? { from: new Date(`${filter.since}Z`).toISOString() } : {}),
      ...(filter.appId ? { appId: filter.appId } : {}),
    };
    let page = await ok(api.GET('/v1/audit-events', { params: { query } }));
    let rows: AuditEvent[] = page.data;
    for (let i = 0; i < more && page.nextCursor; i++) {
      page = await ok(
        api.GET('/v1/audit-events', { params: { query: { ...query, cursor: page.nextCursor } } }),
      );
      rows = rows.concat(page.data);
    }
    return { rows, cursor: page.nextCursor };
  }, [filter, more]);

  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Audit events</h2>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setMore(0);
          setFilter({
            ...draft,
            type: draft.type.trim(),
            verificationId: draft.verificationId.trim(),
          });
        }}
      >
        {role === 'admin' && (
          <AppSelect
            api={api}
            allowAll
            value={draft.appId}
            onChange={(appId) => setDraft({ ...draft, appId })}
          />
        )}
        <label>
          Type
          <input
            placeholder="check.succeeded"
            value={draft.type}
            onInput={(e) => setDraft({ ...draft, type: e.currentTarget.value })}
          />
        </label>
        <label>
          Verification id
          <input
            value={draft.verificationId}
            onInput={(e) => setDraft({ ...draft, verificationId: e.currentTarget.value })}
          />
        </label>
        <label>
          Since (UTC)
          <input
            type="datetime-local"
            value={draft.since}
            onInput={(e) => setDraft({ ...draft, since: e.currentTarget.value })}
          />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorText error={list.error} />
      <Status>
        {list.loading
          ? 'Loading events…'
          : list.data
            ? `${count(list.data.rows.length, 'event')} shown, oldest first.`
            : ''}
      </Status>
      {list.data && list.data.rows.length > 0 && (
        <TableScroll label="Audit events">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Type</th>
                <th scope="col">Actor</th>
                <th scope="col">Verification</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {list.data.rows.map((event) => (
                <tr key={event.id}>
                  <td>{when(event.createdAt)}</td>
                  <td>{event.type}</td>
                  <td>{event.actor.type}</td>
                  <td>
                    <code title={event.verificationId ?? ''}>{shortId(event.verificationId)}</code>
                  </td>
                  <td class="event-data">{event.data ? describe(event.data) : ''}</td>
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
    </section>
  );
}
