/**
 * Run the fake upstream as its own process (the benchmark does, so it gets its own event loop):
 *   tsx packages/fake-upstream/src/cli.ts --port 0 --host 127.0.0.1
 * Prints one JSON line `{"url":"http://…"}` once listening; stops on SIGTERM/SIGINT. It keeps no
 * request log, since nothing outside the process could read it.
 */
import { parseArgs } from 'node:util';
import { startFakeUpstream } from './server.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`fake-upstream: invalid --port ${values.port}\n`);
  process.exit(2);
}

const upstream = await startFakeUpstream({ port, host: values.host, record: false });
process.stdout.write(`${JSON.stringify({ url: upstream.url })}\n`);

const stop = (): void => {
  upstream.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
