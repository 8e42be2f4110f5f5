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

  it('ships the license, the sources of its source maps and the links of its registry page', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files).to.include.members(['package/LICENSE', 'package/README.md', 'package/dist/lib/index.js', 'package/dist/lib/index.d.ts', 'package/lib/index.ts']);
    expect(files.some((file) => file.startsWith('package/spec/'))).to.equal(false);
    expect(manifest.repository).to.deep.include({ url: 'git+https://github.com/qimessaging/qimessaging.git' });
    expect(manifest.homepage).to.be.a('string');
    expect(manifest.bugs).to.be.an('object');
  });
});
