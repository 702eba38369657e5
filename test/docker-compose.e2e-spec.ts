import { parse as parseDotenv } from 'dotenv';
import { load } from 'js-yaml';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseDatabaseUrl } from '../src/config/app-config';

/**
 * docker-compose.yml and its provisioning files, checked for structure (Docker is not needed): the
 * wiring an operator relies on when running `docker compose up`, and the files it mounts.
 */
const ROOT = join(__dirname, '..');
/** Written by the metrics work; may be merged after this file: checked only when present. */
const MERGED_LATER = ['deploy/grafana/wa-verify-dashboard.json', 'deploy/prometheus/alerts.yml'];

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  profiles?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}

interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { environment?: string; file?: string }>;
}

function yamlFile<T>(path: string): T {
  return load(readFileSync(join(ROOT, path), 'utf8')) as T;
}

const compose = yamlFile<Compose>('docker-compose.yml');
const services = compose.services;

/** `./host/path:/container/path[:ro]` → its parts; named volumes have no leading `./`. */
function mounts(service: Service): { source: string; target: string; bind: boolean }[] {
  return (service.volumes ?? []).map((entry) => {
    const [source, target] = entry.split(':');
    return { source, target, bind: source.startsWith('./') || source.startsWith('/') };
  });
}

function targetOf(service: Service, source: string): string | undefined {
  return mounts(service).find((mount) => mount.source === `./${source}`)?.target;
}

describe('docker-compose.yml', () => {
  it('runs the app with MariaDB and Redis, each with a healthcheck and a named volume', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['app', 'migrate', 'mariadb', 'redis']),
    );
    expect(services.mariadb.image).toMatch(/^mariadb:/);
    expect(services.mariadb.healthcheck?.test.join(' ')).toMatch(
      /healthcheck\.sh --connect --innodb_initialized|mysqladmin ping/,
    );
    expect(services.mariadb.environment?.MARIADB_DATABASE).toBeTruthy();
    expect(services.redis.image).toMatch(/^redis:/);
    expect(services.redis.healthcheck?.test.join(' ')).toContain('redis-cli ping');
    for (const [name, dataDir] of [
      ['mariadb', '/var/lib/mysql'],
      ['redis', '/data'],
      // The Dockerfile's VOLUME (development secrets, anything kept on disk).
      ['app', '/app/data'],
    ] as const) {
      const volume = mounts(services[name]).find((mount) => mount.target === dataDir);
      expect(volume?.bind).toBe(false);
      expect(Object.keys(compose.volumes)).toContain(volume!.source);
    }
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toContain('VOLUME /app/data');
  });

  it('points the app at the compose MariaDB and Redis, after they are healthy and migrations ran', () => {
    const app = services.app;
    expect(app.build).toBeDefined();
    expect([app.env_file].flat()).toContain('.env');
    const database = parseDatabaseUrl(app.environment!.DATABASE_URL);
    expect(database).toMatchObject({
      type: 'mysql',
      host: 'mariadb',
      port: 3306,
      database: services.mariadb.environment!.MARIADB_DATABASE,
    });
    expect(app.environment!.DATABASE_URL).toContain(services.mariadb.environment!.MARIADB_USER);
    expect(new URL(app.environment!.REDIS_URL).hostname).toBe('redis');
    expect(app.depends_on).toEqual({
      mariadb: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
    });
    // Migrations run once, by the one-shot service, not by every start of the app.
    expect(app.environment!.RUN_MIGRATIONS).toBe('false');
    expect(app.healthcheck?.test.join(' ')).toContain('/health/ready');
  });

  it('runs the migrations with the built image on the same database before the app', () => {
    const migrate = services.migrate;
    expect(migrate.image).toBe(services.app.image);
    expect([migrate.env_file].flat()).toContain('.env');
    expect(migrate.environment!.DATABASE_URL).toBe(services.app.environment!.DATABASE_URL);
    expect(migrate.command).toEqual(['node', 'dist/src/database/migrate.js']);
    expect(existsSync(join(ROOT, 'src/database/migrate.ts'))).toBe(true);
    expect(migrate.depends_on).toEqual({ mariadb: { condition: 'service_healthy' } });
    expect(migrate.restart).toBe('no');
  });

  it('adds Prometheus and Grafana only in the monitoring profile', () => {
    for (const name of ['app', 'migrate', 'mariadb', 'redis'])
      expect(services[name].profiles).toBeUndefined();
    for (const name of ['prometheus', 'grafana'])
      expect(services[name].profiles).toEqual(['monitoring']);
  });

  it('mounts only files that exist in the repository', () => {
    const binds = Object.values(services).flatMap((service) =>
      mounts(service).filter((mount) => mount.bind),
    );
    expect(binds.length).toBeGreaterThan(0);
    for (const { source } of binds) {
      const path = source.replace(/^\.\//, '');
      if (MERGED_LATER.includes(path) && !existsSync(join(ROOT, path))) continue;
      expect({ path, exists: existsSync(join(ROOT, path)) }).toEqual({ path, exists: true });
    }
  });

  it('has Prometheus scrape the app’s /metrics with METRICS_TOKEN and load the alert rules', () => {
    const prometheus = services.prometheus;
    const config = yamlFile<{
      rule_files: string[];
      scrape_configs: {
        metrics_path: string;
        authorization: { type: string; credentials_file: string };
        static_configs: { targets: string[] }[];
      }[];
    }>('deploy/prometheus/prometheus.yml');
    expect(targetOf(prometheus, 'deploy/prometheus/prometheus.yml')).toBe(
      '/etc/prometheus/prometheus.yml',
    );
    expect(config.rule_files).toEqual([targetOf(prometheus, 'deploy/prometheus/alerts.yml')]);
    const [job] = config.scrape_configs;
    expect(job.metrics_path).toBe('/metrics');
    expect(job.static_configs[0].targets).toEqual([`app:${services.app.environment!.PORT}`]);
    expect(job.authorization.type).toBe('Bearer');
    // The compose secret fed from METRICS_TOKEN, mounted where Prometheus reads its credentials.
    const [secret] = prometheus.secrets!;
    expect(compose.secrets[secret]).toEqual({ environment: 'METRICS_TOKEN' });
    expect(job.authorization.credentials_file).toBe(`/run/secrets/${secret}`);
  });

  it('provisions Grafana with the Prometheus data source and the wa-verify dashboard', () => {
    const grafana = services.grafana;
    const datasources = yamlFile<{ datasources: { type: string; url: string; uid: string }[] }>(
      'deploy/grafana/provisioning/datasources/prometheus.yml',
    );
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
    expect(targetOf(grafana, 'deploy/grafana/provisioning/datasources')).toBe(
      '/etc/grafana/provisioning/datasources',
    );
    expect(targetOf(grafana, 'deploy/grafana/provisioning/dashboards')).toBe(
      '/etc/grafana/provisioning/dashboards',
    );
    const providers = yamlFile<{ providers: { type: string; options: { path: string } }[] }>(
      'deploy/grafana/provisioning/dashboards/wa-verify.yml',
    );
    const dashboard = targetOf(grafana, 'deploy/grafana/wa-verify-dashboard.json');
    expect(dashboard).toBe(`${providers.providers[0].options.path}/wa-verify-dashboard.json`);
    expect(grafana.depends_on?.prometheus).toBeDefined();
  });

  it('has an env example that configures the service as compose runs it, and names every ${VAR} compose uses', () => {
    const example = readFileSync(join(ROOT, 'deploy/compose.env.example'), 'utf8');
    const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const used = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((match) => match[1]));
    for (const name of [...used, ...Object.values(compose.secrets).map((s) => s.environment)])
      expect(example).toContain(name);

    // The local-try block, plus what the printf of the example appends and compose sets.
    const env: Record<string, string> = {
      ...parseDotenv(example),
      MARIADB_PASSWORD: 'a'.repeat(48),
      MARIADB_ROOT_PASSWORD: 'b'.repeat(48),
      METRICS_TOKEN: 'c'.repeat(48),
      ...services.app.environment,
      // Development generates its secrets into the data folder: a throwaway one here.
      DATA_DIR: mkdtempSync(join(tmpdir(), 'wa-verify-compose-')),
    };
    env.DATABASE_URL = env.DATABASE_URL.replace('${MARIADB_PASSWORD}', env.MARIADB_PASSWORD);
    const config = loadConfig(env);
    expect(config).toMatchObject({
      nodeEnv: 'development',
      whatsappProvider: 'sandbox',
      runMigrations: false,
      redisUrl: 'redis://redis:6379',
    });
    expect(config.warnings).toEqual([]);
  });
});
