import { useState } from 'preact/hooks';
import { type Api, ok } from '../api';
import { when } from '../format';
import { ErrorText, messageOf, Status, TableScroll, useLoad } from '../ui';
import { AppSelect } from './apps';

/** Country calling codes a fraud guard blocked for an app, each with a button to lift it. */
export function BlocksPage({ api }: { api: Api }) {
  const [appId, setAppId] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const app = useLoad(
    async () => (appId ? ok(api.GET('/v1/apps/{id}', { params: { path: { id: appId } } })) : null),
    [appId],
  );

  const lift = async (callingCode: string) => {
    if (!appId) return;
    setFailure(null);
    try {
      await ok(
        api.DELETE('/v1/apps/{id}/country-blocks/{callingCode}', {
          params: { path: { id: appId, callingCode } },
        }),
      );
      setOutcome(`The block of +${callingCode} is lifted.`);
      app.reload();
    } catch (error) {
      setFailure(messageOf(error));
    }
  };

  const blocks = app.data?.countryBlocks ?? [];
  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Country blocks</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <AppSelect
          api={api}
          value={appId}
          onChange={(id) => {
            setOutcome(null);
            setAppId(id);
          }}
        />
      </form>
      <ErrorText error={failure ?? app.error} />
      <Status>
        {outcome ??
          (app.loading
            ? 'Loading…'
            : app.data
              ? blocks.length === 0
                ? `No country is blocked for ${app.data.name}.`
                : `${blocks.length} blocked calling code${blocks.length === 1 ? '' : 's'}.`
              : '')}
      </Status>
      {blocks.length > 0 && (
        <TableScroll label="Country blocks">
          <table>
            <thead>
              <tr>
                <th scope="col">Calling code</th>
                <th scope="col">Country</th>
                <th scope="col">Guard</th>
                <th scope="col">Why</th>
                <th scope="col">Until</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {blocks.map((block) => (
                <tr key={block.callingCode}>
                  <td>+{block.callingCode}</td>
                  <td>{block.country ?? '—'}</td>
                  <td>{block.reason.replace(/_/g, ' ')}</td>
                  <td>{block.detail}</td>
                  <td>{when(block.blockedUntil)}</td>
                  <td>
                    <button type="button" onClick={() => lift(block.callingCode)}>
                      Lift<span class="visually-hidden"> the block of +{block.callingCode}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
