// doStream against real local HTTP servers: byte-exact relay, mid-stream cuts, cancel and abort.
import { describe, expect, it } from 'vitest';
import { contentEvent, readChunks, readText, sleep } from '../test/http.js';
import { rejection, useProviderFixture } from '../test/fixture.js';
import { AbortedError, SafeRouterError } from './errors.js';
import type { ChatRequestBody } from './spec.js';

const body: ChatRequestBody = { model: 'client-name', messages: [{ role: 'user', content: 'hi' }], stream: true };
const { serve, provider } = useProviderFixture();

describe('doStream', () => {
  const events = [
    ': keep-alive\n\n',
    `data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant', reasoning_content: 'Let me think… 思考' } }] })}\n\n`,
    contentEvent('Hello'),
    contentEvent(' wörld 🌍'),
    `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
    `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 } })}\n\n`,
    'data: [DONE]\n\n',
  ];

  it('passes every byte through unchanged and summarises the stream', async () => {
    const server = await serve(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const event of events) {
        res.write(event);
        await sleep(2);
      }
      res.end();
    });
    const result = await provider({ baseURL: server.origin })('m').doStream({ body: { ...body, stream: true } });
    expect(result.status).toBe(200);
    const text = await readText(result.stream);
    expect(text).toBe(events.join(''));
    const summary = await result.summary;
    expect(summary).toMatchObject({
      usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 },
      finishReason: 'stop',
      bytes: Buffer.byteLength(events.join('')),
      completed: true,
    });
    expect(summary.error).toBeUndefined();
  });

  it('ends a stream cut mid-way with one error event, no [DONE], completed=false', async () => {
    const server = await serve(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(contentEvent('one'));
      await sleep(10);
      res.write(contentEvent('two'));
      await sleep(10);
      res.socket?.destroy();
    });
    const result = await provider({ baseURL: server.origin })('m').doStream({ body });
    const text = await readText(result.stream);
    expect(text.startsWith(contentEvent('one') + contentEvent('two'))).toBe(true);
    expect(text).not.toContain('[DONE]');
    const last = text.trimEnd().split('\n\n').at(-1) ?? '';
    expect(last.startsWith('data: {"error":')).toBe(true);
    const event = JSON.parse(last.slice('data: '.length)) as { error: { type: string; code: string } };
    expect(event.error).toMatchObject({ type: 'upstream_error', code: 'stream_interrupted' });
    const summary = await result.summary;
    expect(summary.completed).toBe(false);
    expect(summary.error).toBeInstanceOf(SafeRouterError);
    expect(summary.bytes).toBe(Buffer.byteLength(text));
  });

  it('treats a clean close without [DONE] as an interruption too', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(contentEvent('partial'));
    });
    const result = await provider({ baseURL: server.origin })('m').doStream({ body });
    const text = await readText(result.stream);
    expect(text).toMatch(/data: \{"error":\{.*"code":"stream_interrupted"\}\}\n\n$/);
    expect((await result.summary).completed).toBe(false);
  });

  it('hands on no half-written event: a cut inside one leaves just the error event', async () => {
    const server = await serve(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"delta":{"content":"hal');
      await sleep(10);
      res.socket?.destroy();
    });
    const result = await provider({ baseURL: server.origin })('m').doStream({ body });
    const text = await readText(result.stream);
    expect(text).not.toContain('hal');
    expect(text).toMatch(/^data: \{"error":\{[^\n]*"code":"stream_interrupted"\}\}\n\n$/);
  });

  it('cancelling the returned stream aborts the upstream request', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => {
      upstreamClosed = resolve;
    });
    const server = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(contentEvent('first'));
      const timer = setInterval(() => res.write(': keep-alive\n\n'), 20);
      res.on('close', () => {
        clearInterval(timer);
        upstreamClosed();
      });
      req.on('error', () => undefined);
    });
    const result = await provider({ baseURL: server.origin })('m').doStream({ body });
    const reader = result.stream.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toBe(contentEvent('first'));
    await reader.cancel();
    await closed; // the test times out if the upstream never sees the close
    const summary = await result.summary;
    expect(summary.completed).toBe(false);
    expect(summary.error).toBeInstanceOf(AbortedError);
  });

  it('survives many concurrent client cancellations without crashing', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => res.write(contentEvent('x'.repeat(50))), 1);
      res.on('close', () => clearInterval(timer));
    });
    const p = provider({ baseURL: server.origin });
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const result = await p('m').doStream({ body });
        const reader = result.stream.getReader();
        for (let n = 0; n < i % 5; n++) await reader.read();
        await reader.cancel();
        expect((await result.summary).completed).toBe(false);
      }),
    );
  });
});

describe('abort via signal', () => {
  it('rejects at once with a non-retryable AbortedError when already aborted', async () => {
    const server = await serve((_req, res) => res.end('{}'));
    const error = await rejection(
      provider({ baseURL: server.origin })('m').doGenerate({ body, signal: AbortSignal.abort() }),
    );
    expect(error).toBeInstanceOf(AbortedError);
    expect(error.isRetryable).toBe(false);
    expect(error.statusCode).toBe(499);
    expect(error.code).toBe('client_closed_request');
  });

  it('aborts a call that is waiting for headers', async () => {
    const server = await serve(() => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const p = provider({ baseURL: server.origin });
    const error = await rejection(p('m').doStream({ body, signal: controller.signal }));
    expect(error).toBeInstanceOf(AbortedError);
    expect(error.isRetryable).toBe(false);
  });

  it('ends a running stream when the signal aborts mid-way', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(contentEvent('first'));
    });
    const controller = new AbortController();
    const result = await provider({ baseURL: server.origin })('m').doStream({ body, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const chunks = await readChunks(result.stream);
    const text = new TextDecoder().decode(Buffer.concat(chunks));
    expect(text).not.toContain('[DONE]');
    const summary = await result.summary;
    expect(summary.completed).toBe(false);
    expect(summary.error).toBeInstanceOf(AbortedError);
  });
});
