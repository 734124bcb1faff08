import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cacheRoot } from './cache';
import { heartbeat, type Progress, stderrProgress } from './progress';

/**
 * The time-skipping test server is the Java SDK's test server (Maven artifact
 * io.temporal:temporal-test-server). We resolve its jars with Maven into the per-user cache
 * and run it with `java`, so the SDK's own download of a native build is never used.
 */
export const TEST_SERVER_ARTIFACT = 'io.temporal:temporal-test-server';
export const TEST_SERVER_VERSION = '1.31.0';
export const TEST_SERVER_MAIN = 'io.temporal.testserver.TestServer';

const dir = (): string => path.join(cacheRoot(), 'temporal-test-server', TEST_SERVER_VERSION);
export const testServerLauncherPath = (): string => path.join(dir(), 'temporal-test-server');

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>certflow</groupId>
  <artifactId>test-server-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEST_SERVER_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>2.0.16</version>
    </dependency>
  </dependencies>
</project>
`;

/** Returns the path of an executable launcher; the SDK runs it as `<launcher> <port> <extraArgs…>`. */
export async function ensureTestServer(progress: Progress = stderrProgress): Promise<string> {
  const launcher = testServerLauncherPath();
  const cpFile = path.join(dir(), 'classpath.txt');
  if (fs.existsSync(launcher) && fs.existsSync(cpFile) && classpathPresent(cpFile)) return launcher;
  fs.mkdirSync(dir(), { recursive: true });
  fs.writeFileSync(path.join(dir(), 'pom.xml'), POM);
  progress(`resolving the Java time-skipping test server ${TEST_SERVER_ARTIFACT}:${TEST_SERVER_VERSION} with Maven (once; cached in ${dir()})`);
  const stop = heartbeat(progress, 'resolving the Java test server');
  try {
    await run('mvn', ['-B', '-q', '-f', path.join(dir(), 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${cpFile}`]);
  } finally {
    stop();
  }
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  fs.writeFileSync(
    launcher,
    `#!/bin/sh\n# certflow: Temporal time-skipping test server (${TEST_SERVER_ARTIFACT}:${TEST_SERVER_VERSION})\n` +
      `exec ${java} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -cp "$(cat '${cpFile}')" ${TEST_SERVER_MAIN} "$@"\n`,
    { mode: 0o755 },
  );
  progress(`test server ready: ${launcher}`);
  return launcher;
}

function classpathPresent(cpFile: string): boolean {
  const entries = fs.readFileSync(cpFile, 'utf8').trim().split(path.delimiter);
  return entries.length > 0 && entries.every((e) => fs.existsSync(e));
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (c: Buffer): void => void (tail = (tail + c.toString()).slice(-4000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (e) => reject(new Error(`${cmd} could not start (${e.message}); install Maven and Java 17+`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${tail}`))));
  });
}
