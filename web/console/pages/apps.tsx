import { useEffect, useState } from 'preact/hooks';
import { type Api, type AppSummary, ok } from '../api';
import { shortId, when } from '../format';
import { ErrorText, messageOf, OneTimeSecret, Status, TableScroll, useLoad } from '../ui';

interface Secret {
  label: string;
  value: string;
}

/** Apps and their keys, for the admin: create an app, add or revoke keys, rotate the webhook secret. */
export function AppsPage({ api }: { api: Api }) {
  const apps = useLoad(() => ok(api.GET('/v1/apps')), []);
  const [name, setName] = useState('');
  const [webhookUrl, setWebhookUrl] = useState('');
  const [secrets, setSecrets] = useState<Secret[]>([]);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const act = async (done: string, action: () => Promise<Secret[]>) => {
    setFailure(null);
    setOutcome(null);
    try {
      const shown = await action();
      setSecrets(shown);
      setOutcome(done);
      apps.reload();
    } catch (error) {
      setFailure(messageOf(error));
    }
  };

  const create = (e: Event) => {
    e.preventDefault();
    void act(`App ${name.trim()} created.`, async () => {
      const created = await ok(
        api.POST('/v1/apps', {
          body: {
            name: name.trim(),
            ...(webhookUrl.trim() ? { webhookUrl: webhookUrl.trim() } : {}),
          },
        }),
      );
      setName('');
      setWebhookUrl('');
      return [
        { label: `API key of ${created.name}`, value: created.apiKey },
        { label: `Webhook secret of ${created.name}`, value: created.webhookSecret },
      ];
    });
  };

  const addKey = (app: AppSummary) =>
    act(`New API key for ${app.name}.`, async () => {
      const key = await ok(
        api.POST('/v1/apps/{id}/api-keys', { params: { path: { id: app.id } } }),
      );
      return [{ label: `New API key of ${app.name}`, value: key.apiKey }];
    });

  const revoke = (app: AppSummary, keyId: string, prefix: string) => {
    if (!window.confirm(`Revoke the key ${prefix}… of ${app.name}? It stops working at once.`))
      return;
    void act(`Key ${prefix}… of ${app.name} revoked.`, async () => {
      await ok(
        api.DELETE('/v1/apps/{id}/api-keys/{keyId}', { params: { path: { id: app.id, keyId } } }),
      );
      return [];
    });
  };

  const rotate = (app: AppSummary) =>
    act(`Webhook secret of ${app.name} rotated.`, async () => {
      const rotated = await ok(
        api.POST('/v1/apps/{id}/webhook-secret/rotate', { params: { path: { id: app.id } } }),
      );
      return [
        {
          label: `New webhook secret of ${app.name} (the previous one also signs until ${when(rotated.previousSecretExpiresAt)})`,
          value: rotated.webhookSecret,
        },
      ];
    });

  return (
    <section aria-labelledby="page-title">
      <h2 id="page-title">Apps and keys</h2>
      <form class="filters card" onSubmit={create} aria-label="New app">
        <label>
          Name
          <input
            required
            maxLength={120}
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <label>
          Webhook URL (optional)
          <input
            type="url"
            placeholder="https://api.example.com/hooks/wa-verify"
            value={webhookUrl}
            onInput={(e) => setWebhookUrl(e.currentTarget.value)}
          />
        </label>
        <button type="submit">Create app</button>
      </form>
      <ErrorText error={failure ?? apps.error} />
      <Status>{outcome ?? (apps.loading ? 'Loading apps…' : '')}</Status>
      {secrets.map((secret) => (
        <OneTimeSecret
          key={secret.value}
          label={secret.label}
          value={secret.value}
          onDone={() => setSecrets((all) => all.filter((s) => s !== secret))}
        />
      ))}
      {apps.data?.data.map((app) => (
        <article class="card" key={app.id} aria-labelledby={`app-${app.id}`}>
          <h3 id={`app-${app.id}`}>{app.name}</h3>
          <dl class="facts">
            <dt>Id</dt>
            <dd>
              <code>{app.id}</code>
            </dd>
            <dt>Webhook</dt>
            <dd>{app.webhookUrl ?? 'none'}</dd>
            <dt>Created</dt>
            <dd>{when(app.createdAt)}</dd>
          </dl>
          <TableScroll label={`API keys of ${app.name}`}>
            <table>
              <caption>Active API keys</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {app.apiKeys.map((key) => (
                  <tr key={key.id}>
                    <td>
                      <code title={key.id}>{key.prefix}…</code>
                    </td>
                    <td>{when(key.createdAt)}</td>
                    <td>
                      <button
                        type="button"
                        class="danger"
                        onClick={() => revoke(app, key.id, key.prefix)}
                      >
                        Revoke<span class="visually-hidden"> key {key.prefix}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          <div class="actions">
            <button type="button" onClick={() => addKey(app)}>
              New API key<span class="visually-hidden"> for {app.name}</span>
            </button>
            <button type="button" class="secondary" onClick={() => rotate(app)}>
              Rotate webhook secret<span class="visually-hidden"> of {app.name}</span>
            </button>
          </div>
        </article>
      ))}
    </section>
  );
}

/**
 * Choose an app (admin pages). Without `allowAll` the first app is chosen at once; with it, the
 * empty choice means every app.
 */
export function AppSelect(props: {
  api: Api;
  value: string | null;
  onChange: (id: string | null) => void;
  allowAll?: boolean;
}) {
  const apps = useLoad(() => ok(props.api.GET('/v1/apps')), []);
  const list = apps.data?.data ?? [];
  useEffect(() => {
    if (!props.allowAll && props.value === null && list.length > 0) props.onChange(list[0].id);
  }, [list.length]);
  return (
    <>
      <ErrorText error={apps.error} />
      <label>
        App
        <select
          value={props.value ?? ''}
          onChange={(e) => props.onChange(e.currentTarget.value || null)}
        >
          {props.allowAll && <option value="">All apps</option>}
          {list.map((app) => (
            <option key={app.id} value={app.id}>
              {app.name} ({shortId(app.id)})
            </option>
          ))}
        </select>
      </label>
    </>
  );
}
