/**
 * One real request per mode before loading a target, checking the answer's content, not just its
 * status: autocannon only counts responses, and a target that answers 200 with the wrong body
 * would otherwise bench as fast and healthy.
 */
import { DEFAULT_CONTENT } from '@saferouter/fake-upstream';

/** @throws Error describing the first thing wrong with the target's answers. */
export async function preflight(
  name: string,
  url: string,
  headers: Record<string, string>,
  body: Record<string, unknown>,
): Promise<void> {
  const post = (extra: Record<string, unknown>): Promise<Response> =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, ...extra }),
      signal: AbortSignal.timeout(10_000),
    });

  const res = await post({});
  const text = await res.text();
  if (res.status !== 200)
    throw new Error(`${name}: non-stream preflight answered ${res.status}: ${text.slice(0, 500)}`);
  const content = (JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message
    ?.content;
  if (content !== DEFAULT_CONTENT)
    throw new Error(`${name}: non-stream preflight returned unexpected content: ${text.slice(0, 500)}`);

  const sres = await post({ stream: true });
  const stext = await sres.text();
  if (sres.status !== 200) throw new Error(`${name}: stream preflight answered ${sres.status}: ${stext.slice(0, 500)}`);
  let streamed = '';
  let done = false;
  for (const line of stext.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const delta = (JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[] }).choices?.[0]?.delta?.content;
    if (typeof delta === 'string') streamed += delta;
  }
  if (!done || streamed !== DEFAULT_CONTENT) {
    throw new Error(
      `${name}: stream preflight ${done ? 'returned unexpected content' : 'ended without [DONE]'}: ${stext.slice(0, 500)}`,
    );
  }
}
