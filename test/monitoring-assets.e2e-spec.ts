import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeGraphServer } from './support/fake-graph-server';
import { FakeTwilioServer } from './support/fake-twilio-server';
import { createTenant, startApp, TestApp, uniquePhone } from './support/harness';
import { metaSignature, metaStatus, postMetaWebhook } from './support/meta-notifications';
import { declaredTypes, parseSamples, Sample } from './support/metrics-text';
import { metaWithTwilioSmsEnv } from './support/provider-env';
import { waitFor } from './support/wait';
import { WebhookReceiver } from './support/webhook-receiver';

const ROOT = join(__dirname, '..');

/** Every PromQL expression of the Grafana dashboard (panel targets, rows included). */
function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(
    readFileSync(join(ROOT, 'deploy/grafana/wa-verify-dashboard.json'), 'utf8'),
  ) as { panels: Panel[] };
  interface Panel {
    targets?: { expr?: string }[];
    panels?: Panel[];
  }
  const walk = (panels: Panel[]): string[] =>
    panels.flatMap((panel) => [
      ...(panel.targets ?? []).flatMap((target) => (target.expr ? [target.expr] : [])),
      ...walk(panel.panels ?? []),
    ]);
  return walk(dashboard.panels);
}

/**
 * The `expr:` values of the alerting rules, without a YAML library: either `expr: <one line>` or a
 * block scalar (`expr: |` / `>-`) whose lines are indented deeper than the key.
 */
export function ruleExpressions(yaml: string): string[] {
  const lines = yaml.split('\n');
  const found: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const match = /^(\s*)(?:-\s+)?expr:\s*(.*)$/.exec(lines[i]);
    if (!match) continue;
    const [, indent, rest] = match;
    if (!/^[|>][-+]?\s*$/.test(rest)) {
      found.push(rest.replace(/^(['"])(.*)\1$/, '$2'));
      continue;
    }
    const block: string[] = [];
    while (i + 1 < lines.length) {
      const next = lines[i + 1];
      if (next.trim() !== '' && /^\s*/.exec(next)![0].length <= indent.length) break;
      block.push(next.trim());
      i += 1;
    }
    found.push(block.join('\n').trim());
  }
  return found;
}

/** The metric family a name used in PromQL belongs to (`x_bucket` of histogram `x` → `x`), or null. */
function familyOf(name: string, types: Map<string, string>): string | null {
  if (types.has(name)) return name;
  const match = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (match && ['histogram', 'summary'].includes(types.get(match[1]) ?? '')) {
    if (match[2] === 'bucket' && types.get(match[1]) !== 'histogram') return null;
    return match[1];
  }
  return null;
}

describe('Monitoring assets (deploy/): every waverify_* metric they use exists in GET /metrics', () => {
  const receiver = new WebhookReceiver();
  const graph = new FakeGraphServer();
  const twilioFake = new FakeTwilioServer();
  const appSecret = 'meta-app-secret-0123456789';
  let t: TestApp;
  let metrics: string;
  let samples: Sample[];
  let types: Map<string, string>;

  beforeAll(async () => {
    const [graphUrl, twilioUrl] = await Promise.all([
      graph.start(),
      twilioFake.start(),
      receiver.start(),
    ]);
    t = await startApp(
      metaWithTwilioSmsEnv(graphUrl, twilioUrl, twilioFake, {
        phoneNumberId: '106540352242922',
        appSecret,
        verifyToken: 'verify-token',
      }),
    );
    // Traffic, so the labelled series exist: a flow with a wrong and a right code, a delivery
    // status from Meta, the client webhook, a refused provider webhook.
    const url = receiver.expect([]);
    const tenant = await createTenant(t, { webhookUrl: url });
    receiver.setSecrets(url, [tenant.webhookSecret]);
    const phone = uniquePhone();
    const created = await t.http
      .post('/v1/verifications')
      .set(tenant.auth)
      .send({ phone })
      .expect(201);
    const code = graph.lastCodeTo(phone.slice(1))!;
    const status = metaStatus('106540352242922', {
      messageId: created.body.delivery.messageId,
      recipient: phone,
      status: 'delivered',
    });
    await postMetaWebhook(t, status, metaSignature(status, appSecret)).expect(200);
    await t.http
      .post(`/v1/verifications/${created.body.id}/check`)
      .set(tenant.auth)
      .send({
        code: code === '0'.repeat(code.length) ? '1'.repeat(code.length) : '0'.repeat(code.length),
      })
      .expect(200);
    await t.http
      .post(`/v1/verifications/${created.body.id}/check`)
      .set(tenant.auth)
      .send({ code })
      .expect(200);
    await t.http.post('/v1/webhooks/meta').send({}).expect(401);
    await waitFor(() => receiver.at(url).some((hook) => hook.status === 200), 10_000);
    metrics = await waitFor(async () => {
      const text = (await t.http.get('/metrics').expect(200)).text;
      return text.includes('waverify_delivery_status_total{') ? text : undefined;
    }, 10_000);
    samples = parseSamples(metrics);
    types = declaredTypes(metrics);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([receiver.stop(), graph.stop(), twilioFake.stop()]);
  });

  const sources: [string, () => string[]][] = [
    ['deploy/grafana/wa-verify-dashboard.json', dashboardExpressions],
    [
      'deploy/prometheus/alerts.yml',
      () => ruleExpressions(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')),
    ],
  ];

  it.each(sources)(
    '%s: every metric is declared, with the labels the queries use',
    (_file, read) => {
      const expressions = read();
      expect(expressions.length).toBeGreaterThan(3);
      const used = new Set(
        expressions.flatMap((expr) => expr.match(/\bwaverify_[a-z0-9_]+/g) ?? []),
      );
      expect(used.size).toBeGreaterThan(3);
      for (const name of used) {
        const family = familyOf(name, types);
        expect([name, family]).toEqual([name, expect.any(String)]);
        expect(metrics).toContain(`# HELP ${family} `);
      }
      // Labels in selectors (`name{label="…"}`) and in `by (…)` over `rate/increase(name…)` exist on that series.
      for (const expr of expressions) {
        const uses: [string, string[]][] = [
          ...[...expr.matchAll(/\b(waverify_[a-z0-9_]+)\{([^}]*)\}/g)].map(
            ([, name, matchers]) =>
              [name, [...matchers.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1])] as [
                string,
                string[],
              ],
          ),
          ...[...expr.matchAll(/by \(([^)]*)\)\s*\((?:rate|increase)\((waverify_[a-z0-9_]+)/g)].map(
            ([, labels, name]) =>
              [name, labels.split(',').map((label) => label.trim())] as [string, string[]],
          ),
        ];
        for (const [name, labels] of uses) {
          const having = samples.filter(
            (sample) => sample.name === name && labels.every((label) => label in sample.labels),
          );
          expect([name, labels, having.length > 0]).toEqual([name, labels, true]);
        }
      }
    },
  );

  it('reads block and one-line expr values from YAML', () => {
    expect(
      ruleExpressions(
        [
          'groups:',
          '  - rules:',
          '      - alert: A',
          '        expr: up == 0',
          '      - alert: B',
          '        expr: |',
          '          sum(rate(x_total[5m]))',
          '          > 1',
          '        for: 5m',
          '      - expr: "waverify_y > 2"',
        ].join('\n'),
      ),
    ).toEqual(['up == 0', 'sum(rate(x_total[5m]))\n> 1', 'waverify_y > 2']);
  });
});
