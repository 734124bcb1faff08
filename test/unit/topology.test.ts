/**
 * docker-compose.yml (never run here: no Docker engine) and the native cluster CI runs
 * (tools/engine/cluster.ts) must describe the same Temporal: server version, shard count,
 * databases, dynamic config, schema and namespace scripts, search attributes. Each check
 * fails when one side changes without the other.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_SHARDS, DEPLOY_DIR, NAMESPACE_SCRIPT, SCHEMA_SCRIPT, serverConfig } from '../../tools/engine/cluster';
import { DYNAMIC_CONFIG_FILE, devServerArgs, dynamicConfigValues } from '../../tools/engine/dev-server';
import { TEMPORAL_SERVER_VERSION } from '../../tools/engine/server-build';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';

const root = path.resolve(__dirname, '../..');
interface Service {
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  command?: string[];
  healthcheck?: unknown;
}
const compose = parseYaml(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const svc = (name: string): Service => compose.services[name]!;
const tag = (image: string | undefined): string => image!.slice(image!.lastIndexOf(':') + 1);

/** host path → container path of a service's bind mounts. */
function mounts(s: Service): Map<string, string> {
  return new Map((s.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => {
    const [host, container] = v.split(':');
    return [path.resolve(root, host!), container!];
  }));
}

const native = serverConfig({
  ports: { frontend: 1, frontendHttp: 2, frontendMembership: 3, history: 4, historyMembership: 5, matching: 6, matchingMembership: 7, worker: 8, workerMembership: 9, postgres: 10 },
  shards: DEFAULT_SHARDS,
  postgres: { host: '127.0.0.1', port: 10, user: 'temporal' },
  dynamicConfigFile: DYNAMIC_CONFIG_FILE,
}) as { persistence: { numHistoryShards: number; datastores: Record<string, { sql: { pluginName: string; databaseName: string } }> } };

describe('compose and the native cluster describe one Temporal', () => {
  it('the same server version in the server and admin-tools images', () => {
    const version = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
    expect(svc('temporal').image).toBe(`temporalio/server:${version}`);
    for (const job of ['temporal-schema', 'temporal-setup']) expect(tag(svc(job).image)).toBe(version);
    expect(JSON.stringify(compose)).not.toContain('auto-setup');
  });

  it('the same shard count, persistence plugin and databases', () => {
    const env = svc('temporal').environment!;
    expect(Number(env.NUM_HISTORY_SHARDS)).toBe(native.persistence.numHistoryShards);
    const stores = Object.values(native.persistence.datastores).map((d) => d.sql);
    expect(new Set(stores.map((s) => s.pluginName))).toEqual(new Set([env.DB]));
    expect(stores.map((s) => s.databaseName).sort()).toEqual([env.DBNAME, env.VISIBILITY_DBNAME].sort());
  });

  it('the same dynamic config file, which the dev server reads too', () => {
    const env = svc('temporal').environment!;
    expect(mounts(svc('temporal')).get(DYNAMIC_CONFIG_FILE)).toBe(env.DYNAMIC_CONFIG_FILE_PATH);
    const args = devServerArgs({ cliPath: 'temporal', port: 1 }).join(' ');
    for (const [key, value] of Object.entries(dynamicConfigValues())) expect(args).toContain(`--dynamic-config-value ${key}=${value}`);
  });

  it('the same schema and namespace scripts, from the same directory', () => {
    for (const [job, script] of [['temporal-schema', SCHEMA_SCRIPT], ['temporal-setup', NAMESPACE_SCRIPT]] as const) {
      const inContainer = mounts(svc(job)).get(DEPLOY_DIR);
      expect(inContainer).toBeDefined();
      expect(svc(job).command).toEqual([`${inContainer}/${script}`]);
      expect(fs.existsSync(path.join(DEPLOY_DIR, script))).toBe(true);
    }
  });

  it('the namespace script registers exactly the search attributes the workflows use', () => {
    const script = fs.readFileSync(path.join(DEPLOY_DIR, NAMESPACE_SCRIPT), 'utf8');
    const registered = Object.fromEntries([...script.matchAll(/^search_attribute (\w+) (\w+)$/gm)].map((m) => [m[2], m[1]]));
    expect(registered).toEqual(SEARCH_ATTRIBUTES);
  });

  it('worker and API have health checks; the UI decodes through the API\'s codec endpoint', () => {
    expect(svc('worker').healthcheck).toBeDefined();
    expect(svc('api').healthcheck).toBeDefined();
    expect(svc('temporal-ui').environment!.TEMPORAL_CODEC_ENDPOINT).toMatch(/^http:\/\/localhost:8080\/codec$/);
  });
});
