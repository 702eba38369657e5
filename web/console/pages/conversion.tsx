import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Api, type Role, type ConversionRow, ok } from '../api';
import { isoDay, percent } from '../format';
import { AppSelect } from './apps';
import { ErrorText, Status, TableScroll, useLoad } from '../ui';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

type GroupBy = 'country' | 'channel' | 'country,channel';

/** The conversion funnel of GET /v1/analytics/conversion, by country and/or channel, as a chart and a table. */
export function ConversionPage({ api, role }: { api: Api; role: Role }) {
  const today = new Date();
  const [draft, setDraft] = useState({
    from: isoDay(new Date(today.getTime() - 6 * 86_400_000)),
    to: isoDay(today),
    groupBy: 'country,channel' as GroupBy,
    appId: null as string | null,
  });
  const [range, setRange] = useState(draft);
  const [invalid, setInvalid] = useState<string | null>(null);

  const report = useLoad(
    () =>
      ok(
        api.GET('/v1/analytics/conversion', {
          params: {
            query: {
              from: `${range.from}T00:00:00.000Z`,
              // `to` is exclusive: the last day chosen is included.
              to: new Date(Date.parse(`${range.to}T00:00:00.000Z`) + 86_400_000).toISOString(),
              groupBy: range.groupBy,
              ...(range.appId ? { appId: range.appId } : {}),
            },
          },
        }),
      ),
    [range],
  );

  const apply = (e: Event) => {
    e.preventDefault();
    if (!draft.from || !draft.to || draft.from > draft.to) {
      setInvalid('Choose a start date on or before the end date.');
      return;
    }
    setInvalid(null);
    setRange(draft);
  };

  const rows = report.data?.data ?? [];
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Conversion</h2>
      <form class="filters" onSubmit={apply}>
        {role === 'admin' && (
          <AppSelect
            api={api}
            allowAll
            value={draft.appId}
            onChange={(appId) => setDraft({ ...draft, appId })}
          />
        )}
        <label>
          From (UTC day)
          <input
            type="date"
            value={draft.from}
            onInput={(e) => setDraft({ ...draft, from: e.currentTarget.value })}
          />
        </label>
        <label>
          To (UTC day, included)
          <input
            type="date"
            value={draft.to}
            onInput={(e) => setDraft({ ...draft, to: e.currentTarget.value })}
          />
        </label>
        <label>
          Group by
          <select
            value={draft.groupBy}
            onChange={(e) => setDraft({ ...draft, groupBy: e.currentTarget.value as GroupBy })}
          >
            <option value="country,channel">country and channel</option>
            <option value="country">country</option>
            <option value="channel">channel</option>
          </select>
        </label>
        <button type="submit">Show</button>
      </form>
      <ErrorText error={invalid ?? report.error} />
      <Status>
        {report.loading
          ? 'Loading conversion…'
          : report.data
            ? `${rows.length} group${rows.length === 1 ? '' : 's'} from ${range.from} to ${range.to}.`
            : ''}
      </Status>
      {rows.length > 0 && (
        <>
          <FunnelChart rows={rows} />
          <TableScroll label="Conversion by group">
            <table>
              <thead>
                <tr>
                  <th scope="col">Group</th>
                  <th scope="col">Created</th>
                  <th scope="col">Sent</th>
                  <th scope="col">Delivered</th>
                  <th scope="col">Approved</th>
                  <th scope="col">Expired</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Conversion</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={labelOf(row)}>
                    <th scope="row">{labelOf(row)}</th>
                    <td>{row.created}</td>
                    <td>{row.sent}</td>
                    <td>{row.delivered}</td>
                    <td>{row.approved}</td>
                    <td>{row.expired}</td>
                    <td>{row.failed}</td>
                    <td>{percent(row.conversionRate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </>
      )}
    </section>
  );
}

function labelOf(row: ConversionRow): string {
  return [row.country, row.channel].filter(Boolean).join(' · ') || 'all';
}

/**
 * Created, sent and approved per group. Its box gets its size from a CSS class (the page's CSP forbids
 * inline style attributes); Chart.js fits the canvas to it.
 */
function FunnelChart({ rows }: { rows: ConversionRow[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: rows.map(labelOf),
        datasets: [
          { label: 'Created', data: rows.map((r) => r.created), backgroundColor: '#6b7280' },
          { label: 'Sent', data: rows.map((r) => r.sent), backgroundColor: '#2563eb' },
          { label: 'Approved', data: rows.map((r) => r.approved), backgroundColor: '#0b7a43' },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { position: 'bottom' } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    return () => chart.destroy();
  }, [rows]);
  const summary = rows
    .map(
      (r) => `${labelOf(r)}: ${r.approved} of ${r.created} approved (${percent(r.conversionRate)})`,
    )
    .join('; ');
  return (
    <figure class="chart">
      <div class="chart-box">
        <canvas ref={canvas} role="img" aria-label={`Conversion chart. ${summary}`} />
      </div>
      <figcaption>Created, sent and approved verifications per group.</figcaption>
    </figure>
  );
}
