import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, configKeys, parseConfig } from '../../src/config';
import { parseSimulatorEnv, simulatorEnvKeys } from '../../tools/simulators/wotrus/env';

const root = path.resolve(__dirname, '../..');

describe('configuration', () => {
  it('parses an empty environment to the embedded defaults, frozen', () => {
    const c = parseConfig({});
    expect(c.TEMPORAL_ADDRESS).toBe('localhost:7233');
    expect(c.TEMPORAL_TASK_QUEUE).toBe('certflow');
    expect(c.CA_TOKEN).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lists every issue with the variable, the rule and the masked value', () => {
    let error: ConfigError | undefined;
    try {
      parseConfig({ TEMPORAL_ADDRESS: '::bad', API_PORT: '99999', CA_TOKEN: 'short', CA_BASE_URL: 'ftp://x' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const vars = error!.issues.map((i) => i.variable);
    expect(vars).toEqual(expect.arrayContaining(['TEMPORAL_ADDRESS', 'API_PORT', 'CA_TOKEN', 'CA_BASE_URL']));
    expect(error!.message).toContain('TEMPORAL_ADDRESS: must be host:port');
    // the secret's value is masked, the non-secret one shown
    expect(error!.message).not.toContain('short');
    expect(error!.message).toContain('"::bad"');
  });

  it('requires secrets in production and has no default for any of them', () => {
    expect(() => parseConfig({ CERTFLOW_ENV: 'production' })).toThrow(/CA_TOKEN: required in production|CA_BASE_URL: required in production/);
  });

  it('parses hashed API keys and codec keys', () => {
    const c = parseConfig({ API_KEYS: `billing:${'a'.repeat(64)}`, CODEC_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`, CODEC_CURRENT_KEY_ID: 'k1' });
    expect(c.API_KEYS).toEqual([{ name: 'billing', sha256: 'a'.repeat(64) }]);
    expect(c.CODEC_KEYS?.[0]?.id).toBe('k1');
    expect(() => parseConfig({ API_KEYS: 'billing:plaintext' })).toThrow(/API_KEYS/);
  });

  it('README configuration table lists exactly the schema variables', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const table = readme.split('<!-- config-table:start -->')[1]!.split('<!-- config-table:end -->')[0]!;
    const documented = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...configKeys].sort());
  });
});

describe('simulator settings (a dev tool: its own schema, not certflow configuration)', () => {
  it('needs CA_TOKEN, defaults the rest and never shows a value', () => {
    expect(() => parseSimulatorEnv({})).toThrow(/CA_TOKEN/);
    const s = parseSimulatorEnv({ CA_TOKEN: 'ca-token-1', SIMULATOR_PORT: '' });
    expect(s).toMatchObject({ SIMULATOR_HOST: '127.0.0.1', SIMULATOR_PORT: 8090, DATA_DIR: '.data', LOG_LEVEL: 'info' });
    expect(() => parseSimulatorEnv({ CA_TOKEN: 'ca-token-1', SIMULATOR_ADMIN_TOKEN: 'short-secret' })).toThrow(/SIMULATOR_ADMIN_TOKEN: must be at least 16/);
    expect(() => parseSimulatorEnv({ CA_TOKEN: 'ca-token-1', SIMULATOR_ADMIN_TOKEN: 'short-secret' })).not.toThrow(/short-secret/);
  });
});

describe('docker-compose.yml', () => {
  // merge: the services share one environment block through a YAML merge key (`<<`), as compose reads it.
  const compose = parseYaml(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string>; ports?: string[]; profiles?: string[]; healthcheck?: unknown; build?: string | { context: string; target?: string }; command?: string[] }>;
  };
  /** Read by Node itself, not by certflow's configuration. */
  const RUNTIME_ENV = ['NODE_OPTIONS'];

  it('sets only variables the configuration schema knows for certflow services (the simulator: its own)', () => {
    for (const name of ['worker', 'api']) {
      const env = compose.services[name]!.environment!;
      for (const key of Object.keys(env)) if (!RUNTIME_ENV.includes(key)) expect(configKeys).toContain(key);
      expect(compose.services[name]!.build).toBe('.');
    }
    for (const key of Object.keys(compose.services.simulator!.environment!)) expect(simulatorEnvKeys).toContain(key);
    expect(configKeys.filter((k) => k.startsWith('SIMULATOR_'))).toEqual([]);
    expect(compose.services.api!.environment!.API_KEYS).toBeDefined();
    expect(compose.services.worker!.environment!.CA_TOKEN).toBeDefined();
    expect(compose.services.worker!.environment!.WORKER_MAX_CACHED_WORKFLOWS).toMatch(/^\$\{WORKER_MAX_CACHED_WORKFLOWS:-\d+\}$/);
  });

  it('runs the compiled entry points the build produces (dist/src/<x>.js from src/<x>.ts), in compose and in the image', () => {
    const compiled = (cmd: string[] | undefined): string => {
      expect(cmd?.[0]).toBe('node');
      const entry = cmd![1]!;
      expect(entry).toMatch(/^dist\/src\/.+\.js$/);
      return entry;
    };
    const buildOut = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8')).compilerOptions.outDir;
    expect(buildOut).toBe('dist');
    for (const name of ['worker', 'api']) {
      const source = compiled(compose.services[name]!.command).replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(fs.existsSync(path.join(root, source))).toBe(true);
    }
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const cmds = [...dockerfile.matchAll(/^CMD (\[.*\])$/gm)].map((m) => m[1]!);
    // The final stage's CMD: the production image.
    const cmd = cmds.at(-1);
    expect(compiled(JSON.parse(cmd!))).toBe(compose.services.worker!.command![1]);
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/^ENV MALLOC_ARENA_MAX=2$/m);
  });

  it('keeps dev tools out of the build and the production image; the simulator runs from its own stage', () => {
    expect(JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')).include).toEqual(['src']);
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^(?=FROM )/m).filter((s) => s.startsWith('FROM '));
    const production = stages.at(-1)!;
    expect(production).not.toMatch(/tools/);
    const simulatorStage = stages.find((s) => /^FROM build AS simulator$/m.test(s))!;
    expect(simulatorStage).toBeDefined();
    const sim = compose.services.simulator!;
    expect(sim.build).toEqual({ context: '.', target: 'simulator' });
    expect(sim.command).toEqual(['node', '--import', 'tsx', 'tools/simulators/wotrus/main.ts']);
    expect(JSON.parse(/^CMD (\[.*\])$/m.exec(simulatorStage)![1]!)).toEqual(sim.command);
    expect(simulatorStage).toMatch(/^COPY tools\/simulators /m);
    expect(fs.existsSync(path.join(root, sim.command![3]!))).toBe(true);
  });

  it('publishes the ports README names and puts the simulator under a profile', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(compose.services.api!.ports).toContain('8080:8080');
    expect(compose.services['temporal-ui']!.ports).toContain('8233:8080');
    expect(compose.services.temporal!.ports).toContain('7233:7233');
    expect(compose.services.simulator!.profiles).toEqual(['simulator']);
    for (const url of ['http://localhost:8233', 'localhost:7233', 'http://localhost:8080', 'http://127.0.0.1:8090']) expect(readme).toContain(url);
    for (const s of ['postgresql', 'temporal', 'temporal-ui', 'worker', 'api', 'simulator']) expect(compose.services[s]!.healthcheck).toBeDefined();
  });
});
