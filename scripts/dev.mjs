// `pnpm dev`: the gateway from source (tsx, port $PORT or 8080) and the dashboard's Vite dev
// server (hot reload, http://localhost:5173) proxying the API to it. Ctrl-C stops both.
// The dashboard the gateway itself serves at / is the built one (`pnpm start`); this is for
// working on the dashboard.
import { spawn } from 'node:child_process';

const port = process.env.PORT ?? '8080';
const env = { ...process.env, PORT: port, SAFEROUTER_GATEWAY: `http://localhost:${port}` };
const children = [
  spawn('pnpm', ['--filter', '@saferouter/gateway', 'run', 'dev'], { stdio: 'inherit', env }),
  spawn('pnpm', ['--filter', '@saferouter/dashboard', 'run', 'dev'], { stdio: 'inherit', env }),
];
let stopping = false;
const stop = (code) => {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  process.exitCode = code;
};
for (const child of children) child.on('exit', (code) => stop(code ?? 1));
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
