/**
 * The embedding example in a real browser: headless Chromium (Debian's, at /usr/bin/chromium, which .ci/run
 * installs) loads the app's page, whose script calls the service over WebSocket and shows its signal live.
 * Where Chromium is not installed the spec is skipped and says why.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { chromium } from 'playwright-core';
import { within } from '../e2e/topology.js';

const CHROMIUM = '/usr/bin/chromium';

/** The page's globals, typed here rather than adding the DOM library to the whole project. */
type PageGlobals = { document: { querySelector(selector: string): { textContent: string | null } | null } };

describe('the embedding example in headless Chromium', function () {
  this.timeout(60_000);
  let app: ChildProcess | undefined;

  before(function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      (skipped: no Chromium at ${CHROMIUM}; .ci/run installs Debian's chromium)`);
      this.skip();
    }
  });

  after(() => {
    if (app && app.exitCode === null) app.kill('SIGKILL');
  });

  it('shows the result of a call and the signal live, then the app shuts down on SIGTERM', async () => {
    app = spawn(process.execPath, ['--import', 'tsx', 'examples/embed-http.ts', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await within(once(createInterface({ input: app.stdout! }), 'line'), 30_000, 'the app to be ready')) as [string];
    const url = /http:\/\/[\d.]+:\d+/.exec(line)![0];
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForFunction(
        () => (globalThis as unknown as PageGlobals).document.querySelector('#result')?.textContent === '5',
        undefined,
        { timeout: 15_000 },
      );
      const first = Number(await page.textContent('#tick').then((t) => (t === 'waiting' ? NaN : t)));
      await page.waitForFunction(
        (before) =>
          Number((globalThis as unknown as PageGlobals).document.querySelector('#tick')?.textContent) > (Number.isNaN(before) ? 0 : before) + 2,
        first,
        { timeout: 15_000 },
      );
      expect(await page.textContent('#error')).to.equal('');
    } finally {
      await browser.close();
    }
    app.kill('SIGTERM');
    const [code] = (await within(once(app, 'exit'), 10_000, 'the app to exit')) as [number | null];
    expect(code).to.equal(0);
  });
});
