/** The `qi` that `npm install` links: package.json's bin, built, shipped by `files`, runs under plain Node. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';

describe('the qi executable of the package', function () {
  this.timeout(60_000);

  it('is built from lib/cli/qi.ts, shipped, and runs without tsx', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string>; files: string[] };
    const bin = pkg.bin.qi!;
    expect(bin).to.equal('dist/lib/cli/qi.js');
    expect(pkg.files.some((folder) => bin.startsWith(`${folder}/`))).to.equal(true);
    const build = spawnSync('node_modules/.bin/tsc', ['-p', 'tsconfig.build.json'], { encoding: 'utf8' });
    expect(build.status, `${build.stdout}${build.stderr}`).to.equal(0);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).to.equal(true);
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help.status, help.stderr).to.equal(0);
    expect(help.stdout).to.match(/^Usage: qi COMMAND/);
    const wrong = spawnSync(process.execPath, [bin, 'call', 'x'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect([wrong.status, wrong.stderr.split('\n')[0]]).to.deep.equal([2, "qi: usage: expected SERVICE.METHOD, got 'x'"]);
  });
});
