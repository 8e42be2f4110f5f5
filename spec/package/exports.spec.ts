/** What `npm pack` would publish: the build compiles and both entry points of the exports map import under Node. */
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { build } from 'esbuild';

describe('the published package', function () {
  this.timeout(60_000);

  it('builds, and `qimessaging` and `qimessaging/testing` import from dist with their public names', () => {
    const build = spawnSync('node_modules/.bin/tsc', ['-p', 'tsconfig.build.json'], { encoding: 'utf8' });
    expect(build.status, `${build.stdout}${build.stderr}`).to.equal(0);
    const probe = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const main = await import('qimessaging'); const testing = await import('qimessaging/testing');
         console.log(JSON.stringify({ main: Object.keys(main).sort(), testing: Object.keys(testing).sort() }));`,
      ],
      { encoding: 'utf8' },
    );
    expect(probe.status, probe.stderr).to.equal(0);
    const { main, testing } = JSON.parse(probe.stdout) as { main: string[]; testing: string[] };
    expect(main).to.include.members(['connect', 'createGateway', 'createService', 'createServiceDirectory', 'signal', 'property', 'withContext', 'QiError', 'ServiceGoneError', 'TransportRegistry']);
    expect(testing).to.include.members(['FakeTransport', 'FakeLink', 'decodeFrames']);
  });

  it('requires from CommonJS (Node >= 20.19 requires an ES module without top-level await)', () => {
    const probe = spawnSync(
      process.execPath,
      ['--no-warnings', '-e', `const q = require('qimessaging'); const t = require('qimessaging/testing'); console.log(typeof q.connect, typeof t.FakeTransport);`],
      { encoding: 'utf8' },
    );
    expect(probe.status, probe.stderr).to.equal(0);
    expect(probe.stdout.trim()).to.equal('function function');
  });

  it('bundles qimessaging/browser for a browser: nothing on its import path is Node-only', async () => {
    // platform 'browser' makes esbuild refuse node:* built-ins, so a Node import anywhere on the path fails this.
    const result = await build({ entryPoints: ['lib/browser.ts'], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((file) => /lib\/transports\/(tcp|websocket|memory)\.ts$/.test(file)), inputs.join('\n')).to.equal(false);
    expect(inputs.some((file) => file.includes('node_modules/ws/'))).to.equal(false);
    expect(result.outputFiles[0]!.text).to.contain('BrowserWebSocketTransport');
  });
});
