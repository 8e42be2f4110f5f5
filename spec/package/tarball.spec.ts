/**
 * What a new user installs: `npm pack`'s tarball, unpacked into a fresh ESM project and a fresh CommonJS project
 * (its dependencies linked from ours: no network), each run with plain `node`, outside this repository.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

const program = (load: string) => `${load}
(async () => {
  const service = await createService('calc', { add: (a, b) => a + b, on: (group) => 'on ' + group }, { listen: ['memory://packed'] });
  const conn = await connect('memory://packed');
  const calc = await conn.service('calc');
  console.log(await calc.add(2, 3), await calc.methods.on('FaceLeds'));
  await conn.close();
  await service.close();
})();
`;

/** A consumer that touches the handles, their actors, a contract, progress and the options. */
const STRICT_CONSUMER = `import { connect, createService, property, withContext, type Property, type ServiceClient } from 'qimessaging';
interface Motion {
  moveTo(x: number, y: number): Promise<string>;
  speed: Property<number>;
}
const impl = { moveTo: withContext(async ({ progress }, x: number, y: number) => { progress(1); return \`at \${x},\${y}\`; }), speed: property(1) };
const service = await createService<Motion>('motion', impl, { listen: ['memory://m'] });
const conn = await connect('memory://m', { timeout: 1_000 });
const motion = await conn.service<Motion>('motion');
const untyped: ServiceClient = await conn.service('motion');
const at: string = await motion.with({ onProgress: (p) => console.log(p) }).moveTo(1, 2);
console.log(at, motion.actor.id, untyped.name, await motion.property('speed').get(), service.actor.getSnapshot().status);
await conn.close();
await service.close();
`;

describe('the packed tarball', function () {
  this.timeout(120_000);
  let dir: string;
  let tarball: string;
  let manifest: { dependencies: Record<string, string>; repository?: unknown; homepage?: string; bugs?: unknown };

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'qimessaging-pack-'));
    const output = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    tarball = path.join(dir, output.trim().split('\n').pop()!);
    manifest = JSON.parse(readFileSync('package.json', 'utf8')) as typeof manifest;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A project in `dir/name` with the tarball unpacked as node_modules/qimessaging and our copies of its dependencies. */
  function consumer(name: string, type: 'module' | 'commonjs'): string {
    const root = path.join(dir, name);
    const installed = path.join(root, 'node_modules', 'qimessaging');
    mkdirSync(installed, { recursive: true });
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name, private: true, type }));
    execFileSync('tar', ['xzf', tarball, '-C', installed, '--strip-components=1']);
    for (const dependency of Object.keys(manifest.dependencies)) {
      const link = path.join(root, 'node_modules', dependency);
      mkdirSync(path.dirname(link), { recursive: true }); // a scoped name (@nats-io/…) needs its scope folder
      symlinkSync(path.resolve('node_modules', dependency), link);
    }
    return root;
  }

  const run = (root: string, file: string) => spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: 20_000 });

  it('runs in an ESM project with import', () => {
    const root = consumer('esm-app', 'module');
    writeFileSync(path.join(root, 'main.js'), program(`import { connect, createService } from 'qimessaging';`));
    const result = run(root, 'main.js');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout.trim()).to.equal('5 on FaceLeds');
  });

  it('runs in a CommonJS project with require', () => {
    const root = consumer('cjs-app', 'commonjs');
    writeFileSync(path.join(root, 'main.js'), program(`const { connect, createService } = require('qimessaging');`));
    const result = run(root, 'main.js');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout.trim()).to.equal('5 on FaceLeds');
  });

  /** A strict TypeScript consumer of the packed declarations, type-checked with `extra` compiler options. */
  function typeCheck(name: string, extra: Record<string, unknown>): { status: number | null; output: string } {
    const root = consumer(name, 'module');
    const types = path.join(root, 'node_modules', '@types');
    mkdirSync(types, { recursive: true });
    symlinkSync(path.resolve('node_modules', '@types', 'node'), path.join(types, 'node'));
    writeFileSync(path.join(root, 'main.ts'), STRICT_CONSUMER);
    const compilerOptions = { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'], ...extra };
    writeFileSync(path.join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['main.ts'] }));
    const result = spawnSync(path.resolve('node_modules', '.bin', 'tsc'), ['-p', root], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  it('type-checks a consumer with exactOptionalPropertyTypes (skipLibCheck on)', () => {
    const { status, output } = typeCheck('eopt-app', { exactOptionalPropertyTypes: true, skipLibCheck: true });
    expect(status, output).to.equal(0);
  });

  it("with skipLibCheck off too, fails only in xstate's and nats.js's own declarations, never in ours (README: Use)", () => {
    const { output } = typeCheck('eopt-libcheck-app', { exactOptionalPropertyTypes: true, skipLibCheck: false });
    const errors = output.split('\n').filter((line) => /error TS\d+/.test(line));
    const foreign = errors.filter((line) => !/node_modules\/(xstate|@nats-io\/nats-core)\//.test(line));
    expect(foreign, output).to.deep.equal([]);
  });

  it('ships the license, the sources of its source maps and the links of its registry page', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files).to.include.members(['package/LICENSE', 'package/README.md', 'package/dist/lib/index.js', 'package/dist/lib/index.d.ts', 'package/lib/index.ts']);
    expect(files.some((file) => file.startsWith('package/spec/'))).to.equal(false);
    expect(manifest.repository).to.deep.include({ url: 'git+https://github.com/qimessaging/qimessaging.git' });
    expect(manifest.homepage).to.be.a('string');
    expect(manifest.bugs).to.be.an('object');
  });
});
