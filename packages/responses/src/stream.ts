/**
 * Chat-completion chunks in, Responses streaming events out. One translator per response; each
 * call returns the SSE text (`event: <type>\ndata: <json>\n\n`…) to write, every event carrying
 * the next `sequence_number`.
 *
 * Items open as their content arrives and close in the Responses order of events:
 * - reasoning deltas open a `reasoning` item with one summary part
 *   (`response.reasoning_summary_*`: what both the openai SDK and `@ai-sdk/openai` read);
 * - content deltas open a `message` item with one `output_text` part;
 * - a switch between reasoning and text closes the open one, so interleaved thinking yields
 *   several items, in order;
 * - each tool-call index opens a `function_call` item once its name is known (arguments that
 *   arrive before it are buffered) and stays open to the end, so late deltas of an earlier call
 *   still land in the right item.
 * A chunk may carry any mix of content, reasoning, tool calls, finish reason and usage (or be a
 * `choices: []` usage chunk); `finish()` closes whatever is still open, in output order, and ends
 * with `response.completed`, `response.incomplete` or `response.failed`.
 */
import {
  endOf,
  functionCallItem,
  itemId,
  messageItem,
  outputTextPart,
  reasoningItem,
  responseObject,
  toResponsesUsage,
  wantsReasoningToken,
  type ItemStatus,
} from './response-object.js';
import type { IncompleteDetails, ResponseContext, ResponseError, ResponsesUsage } from './types.js';

export interface ResponsesStreamEnd {
  /** The usage to report (the gateway's, with `cost`); defaults to the last usage seen in the chunks. */
  usage: ResponsesUsage | undefined;
  /** `completed` becomes `incomplete` when the chunks finished with `length` or `content_filter`. */
  status: 'completed' | 'incomplete' | 'failed';
  error?: ResponseError | undefined;
}

export interface ResponsesStream {
  /** `response.created` and `response.in_progress`. */
  start(): string;
  /** The events for one parsed chat-completion chunk; '' when it adds nothing. */
  chunk(json: unknown): string;
  /** Closes every open item and ends the response. Later calls return ''. */
  finish(end: ResponsesStreamEnd): string;
}

type TextItem = { kind: 'message' | 'reasoning'; index: number; id: string; text: string };
type CallItem = {
  index: number | undefined;
  id: string;
  callId: string | undefined;
  name: string;
  args: string;
  done: boolean;
};

const obj = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/**
 * @example
 * const s = createResponsesStream({ id: 'resp_1', createdAt: 1700000000, model: 'glm-4.6', request });
 * write(s.start());
 * for (const chunk of chunks) write(s.chunk(chunk));
 * write(s.finish({ usage, status: 'completed' }));
 */
export function createResponsesStream(ctx: ResponseContext): ResponsesStream {
  let seq = 0;
  let started = false;
  let ended = false;
  /** The final form of each output item, by output index (filled as items close). */
  const output: unknown[] = [];
  let open: TextItem | undefined;
  const calls = new Map<number, CallItem>();
  let finishReason: unknown;
  let lastUsage: ResponsesUsage | undefined;
  let out = '';
  const token = wantsReasoningToken(ctx.request);

  const emit = (type: string, fields: Record<string, unknown>) => {
    out += `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`;
  };
  const drain = () => {
    const text = out;
    out = '';
    return text;
  };

  function openText(kind: TextItem['kind']): TextItem {
    if (open?.kind === kind) return open;
    closeText('completed');
    const index = output.length;
    const item: TextItem = { kind, index, id: itemId(ctx, kind === 'message' ? 'msg' : 'rs', index), text: '' };
    output.push(undefined);
    const at = { item_id: item.id, output_index: index };
    if (kind === 'message') {
      emit('response.output_item.added', { output_index: index, item: messageItem(item.id, 'in_progress', undefined) });
      emit('response.content_part.added', { ...at, content_index: 0, part: outputTextPart('') });
    } else {
      emit('response.output_item.added', { output_index: index, item: reasoningItem(item.id, undefined, token) });
      emit('response.reasoning_summary_part.added', {
        ...at,
        summary_index: 0,
        part: { type: 'summary_text', text: '' },
      });
    }
    open = item;
    return item;
  }

  function closeText(status: ItemStatus) {
    const item = open;
    if (item === undefined) return;
    open = undefined;
    const at = { item_id: item.id, output_index: item.index };
    if (item.kind === 'message') {
      const done = messageItem(item.id, status, item.text);
      emit('response.output_text.done', { ...at, content_index: 0, text: item.text, logprobs: [] });
      emit('response.content_part.done', { ...at, content_index: 0, part: outputTextPart(item.text) });
      emit('response.output_item.done', { output_index: item.index, item: done });
      output[item.index] = done;
    } else {
      const done = reasoningItem(item.id, item.text, token);
      const part = { type: 'summary_text', text: item.text };
      emit('response.reasoning_summary_text.done', { ...at, summary_index: 0, text: item.text });
      emit('response.reasoning_summary_part.done', { ...at, summary_index: 0, part });
      emit('response.output_item.done', { output_index: item.index, item: done });
      output[item.index] = done;
    }
  }

  function textDelta(kind: TextItem['kind'], delta: string) {
    if (delta === '') return;
    const item = openText(kind);
    item.text += delta;
    const at = { item_id: item.id, output_index: item.index };
    if (kind === 'message') emit('response.output_text.delta', { ...at, content_index: 0, delta, logprobs: [] });
    else emit('response.reasoning_summary_text.delta', { ...at, summary_index: 0, delta });
  }

  /** Opens a call's item once it has a name; until then its arguments wait in `args`. */
  function startCall(call: CallItem) {
    if (call.index !== undefined) return;
    call.index = output.length;
    call.id = itemId(ctx, 'fc', call.index);
    call.callId ??= itemId(ctx, 'call', call.index);
    output.push(undefined);
    emit('response.output_item.added', {
      output_index: call.index,
      item: functionCallItem(call.id, 'in_progress', { callId: call.callId, name: call.name, arguments: '' }),
    });
    if (call.args !== '')
      emit('response.function_call_arguments.delta', { item_id: call.id, output_index: call.index, delta: call.args });
  }

  function toolDelta(raw: unknown, position: number) {
    const delta = obj(raw);
    const key = typeof delta['index'] === 'number' ? delta['index'] : position;
    const fn = obj(delta['function']);
    let call = calls.get(key);
    if (call === undefined) {
      closeText('completed');
      call = { index: undefined, id: '', callId: undefined, name: '', args: '', done: false };
      calls.set(key, call);
    }
    if (call.callId === undefined && typeof delta['id'] === 'string' && delta['id'] !== '') call.callId = delta['id'];
    if (call.index === undefined && typeof fn['name'] === 'string' && fn['name'] !== '') call.name = fn['name'];
    const args = typeof fn['arguments'] === 'string' ? fn['arguments'] : '';
    if (call.index === undefined) {
      call.args += args;
      if (call.name !== '') startCall(call);
      return;
    }
    if (args === '') return;
    call.args += args;
    emit('response.function_call_arguments.delta', { item_id: call.id, output_index: call.index, delta: args });
  }

  function closeCall(call: CallItem, status: ItemStatus) {
    startCall(call);
    if (call.done || call.index === undefined) return;
    call.done = true;
    const at = { item_id: call.id, output_index: call.index };
    emit('response.function_call_arguments.done', { ...at, name: call.name, arguments: call.args });
    const done = functionCallItem(call.id, status, {
      callId: call.callId ?? '',
      name: call.name,
      arguments: call.args,
    });
    emit('response.output_item.done', { output_index: call.index, item: done });
    output[call.index] = done;
  }

  /** `response.created` and `response.in_progress`, once, before anything else. */
  function begin() {
    if (started) return;
    started = true;
    const snapshot = responseObject(ctx, { status: 'in_progress', output: [] });
    emit('response.created', { response: snapshot });
    emit('response.in_progress', { response: snapshot });
  }

  return {
    start() {
      begin();
      return drain();
    },

    chunk(json) {
      if (ended) return '';
      begin();
      const chunk = obj(json);
      lastUsage = toResponsesUsage(chunk['usage']) ?? lastUsage;
      const choices = Array.isArray(chunk['choices']) ? chunk['choices'] : [];
      const choice = obj(choices[0]);
      const delta = obj(choice['delta']);
      const reasoning = delta['reasoning_content'] ?? delta['reasoning'];
      if (typeof reasoning === 'string') textDelta('reasoning', reasoning);
      if (typeof delta['content'] === 'string') textDelta('message', delta['content']);
      if (Array.isArray(delta['tool_calls'])) delta['tool_calls'].forEach(toolDelta);
      if (typeof choice['finish_reason'] === 'string') finishReason = choice['finish_reason'];
      return drain();
    },

    finish(end) {
      if (ended) return '';
      begin();
      ended = true;
      let status: 'completed' | 'incomplete' | 'failed' = end.status;
      let details: IncompleteDetails | undefined;
      const fromChunks = endOf(finishReason);
      if (status !== 'failed' && fromChunks.status === 'incomplete') {
        status = 'incomplete';
        details = fromChunks.details;
      }
      const itemStatus: ItemStatus = status === 'completed' ? 'completed' : 'incomplete';
      closeText(itemStatus);
      const pending = [...calls.values()];
      pending.forEach(startCall);
      pending.sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).forEach((call) => closeCall(call, itemStatus));
      const response = responseObject(ctx, {
        status,
        output,
        usage: end.usage ?? lastUsage,
        error:
          status === 'failed' ? (end.error ?? { code: 'server_error', message: 'The upstream failed.' }) : undefined,
        incompleteDetails: status === 'incomplete' ? (details ?? { reason: 'max_output_tokens' }) : undefined,
      });
      emit(`response.${status}`, { response });
      return drain();
    },
  };
}
