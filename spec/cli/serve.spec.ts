/**
 * `qi serve --demo` as a child process, and the query commands run against it as child processes: their output,
 * the `--json` shapes, and the exit status of each class of failure.
 */
import type { ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { finished, firstLine, qi, startQi, stop } from './run-qi.js';

describe('qi serve, and qi services / info / call / post against it', function () {
  this.timeout(60_000);
  let serve: ChildProcess;
  let env: Record<string, string>;

  before(async () => {
    serve = startQi(['serve', '--listen', 'tcp://127.0.0.1:0', '--demo']);
    const line = await firstLine(serve);
    expect(line).to.match(/^qi serve: listening on tcp:\/\/127\.0\.0\.1:\d+ \(services: echo, calc\)$/);
    env = { QI_URL: /tcp:\/\/[\d.]+:\d+/.exec(line)![0] };
  });

  after(() => stop(serve));

  it('lists the services, one a line, and as JSON', async () => {
    const text = await qi(['services'], env);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout.trim().split('\n').map((line) => line.split(/\s+/).slice(0, 2))).to.deep.equal([
      ['ServiceDirectory', '1'],
      ['echo', '2'],
      ['calc', '3'],
    ]);
    const json = await qi(['services', '--json'], env);
    const records = JSON.parse(json.stdout) as Array<{ id: number; name: string; endpoints: string[] }>;
    expect(records.map(({ id, name }) => ({ id, name }))).to.deep.equal([
      { id: 1, name: 'ServiceDirectory' },
      { id: 2, name: 'echo' },
      { id: 3, name: 'calc' },
    ]);
    expect(records[1]!.endpoints).to.be.an('array').with.length(1);
  });

  it('shows a service, and one member of it, as text and JSON', async () => {
    const text = await qi(['info', 'calc'], env);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.match(/^calc\n\s+methods\n\s+100\s+add\s+2 arguments\n\s+101\s+divide\s+2 arguments\n$/);
    const json = await qi(['info', 'echo', 'fail', '--json'], env);
    expect(JSON.parse(json.stdout)).to.deep.equal({ name: 'echo', methods: [{ id: 101, name: 'fail', arity: 1 }], signals: [], properties: [] });
    const missing = await qi(['info', 'echo', 'nope'], env);
    expect(missing.code).to.equal(3);
    expect(missing.stderr).to.contain('NoSuchMember');
  });

  it('calls a method with JSON and bare-word arguments: pretty by default, raw with --json', async () => {
    const sum = await qi(['call', 'calc.add', '2', '-5.5'], env);
    expect([sum.code, sum.stdout, sum.stderr]).to.deep.equal([0, '-3.5\n', '']);
    expect((await qi(['call', 'echo.echo', 'hello'], env)).stdout).to.equal('hello\n');
    expect((await qi(['call', 'echo.echo', 'hello', '--json'], env)).stdout).to.equal('"hello"\n');
    expect((await qi(['call', 'echo.echo', '{"joints":[1,2]}'], env)).stdout).to.equal('{\n  "joints": [\n    1,\n    2\n  ]\n}\n');
    expect((await qi(['call', 'echo.echo', '{"joints":[1,2]}', '--json'], env)).stdout).to.equal('{"joints":[1,2]}\n');
  });

  it('prints a typed error as code and message on stderr, exit status by class, no stack trace', async () => {
    const cases: Array<[string[], number, string]> = [
      [['call', 'calc.divide', '1', '0'], 1, 'qi: RemoteError: division by zero'],
      [['call', 'calc.sqrt', '2'], 3, 'qi: NoSuchMember:'],
      [['call', 'nope.x'], 3, 'qi: ServiceNotFound:'],
      [['call', 'calc.add', '1'], 4, 'qi: BadArguments: add takes 2 argument(s), got 1'],
      [['call', 'calc.add', '1', '2', '--connect', 'tcp://127.0.0.1:1'], 6, 'qi: TransportError:'],
      [['call', 'calc'], 2, 'qi: usage: expected SERVICE.METHOD'],
      [['call', 'calc.add', '--bogus'], 2, "qi: usage: Unknown option '--bogus'"],
      [['frobnicate'], 2, "qi: usage: unknown command 'frobnicate'"],
    ];
    const runs = await Promise.all(cases.map(([args]) => qi(args, env)));
    runs.forEach((run, i) => {
      const [args, code, message] = cases[i]!;
      expect(run.code, `qi ${args.join(' ')}: ${run.stderr}`).to.equal(code);
      expect(run.stderr).to.contain(message);
      expect(run.stderr).not.to.match(/\n\s+at /);
      expect(run.stdout).to.equal('');
    });
  });

  it('posts: exit 0 once sent, exit 3 for a method the service lacks', async () => {
    expect((await qi(['post', 'echo.echo', 'hi'], env)).code).to.equal(0);
    expect((await qi(['post', 'echo.nope'], env)).code).to.equal(3);
  });

  it('has help for qi and for each command, exit 0', async () => {
    const [top, call] = await Promise.all([qi(['--help']), qi(['call', '--help'])]);
    expect(top.code).to.equal(0);
    for (const name of ['services', 'info', 'call', 'post', 'get', 'set', 'watch', 'trace', 'top', 'serve']) expect(top.stdout).to.match(new RegExp(`^  ${name} `, 'm'));
    expect(top.stdout).to.contain('130  interrupted');
    expect(call.code).to.equal(0);
    expect(call.stdout).to.match(/^Usage: qi call SERVICE\.METHOD/);
    expect(call.stdout).to.contain('--connect URL');
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`stops cleanly on ${signal}: exit 0, its port closed`, async () => {
      const own = startQi(['serve', '--listen', 'tcp://127.0.0.1:0', '--demo']);
      try {
        const url = /tcp:\/\/[\d.]+:\d+/.exec(await firstLine(own))![0];
        own.kill(signal);
        const run = await finished(own);
        expect(run.code, run.stderr).to.equal(0);
        expect(run.stderr).to.contain(`stopping (${signal})`);
        expect((await qi(['services', '--connect', url])).code).to.equal(6);
      } finally {
        await stop(own);
      }
    });
  }
});
