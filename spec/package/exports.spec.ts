/** What `npm pack` would publish: the build compiles and both entry points of the exports map import under Node. */
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';

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
});
