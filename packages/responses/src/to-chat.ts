/**
 * A validated Responses request as a chat-completions body, which the gateway then routes, bills
 * and relays like any other. The item list becomes messages: `instructions` first as a system
 * message, `developer` messages as system messages (not every upstream knows the role), and each
 * run of assistant output (reasoning, message, function calls) folded into one assistant message
 * with `tool_calls` and `reasoning_content` — DeepSeek's thinking models require the reasoning of
 * a tool-calling turn to come back, and other upstreams ignore the field.
 */
import type { ChatRequestBody } from '@saferouter/router';
import type { ResponsesContentPart, ResponsesInputItem, ResponsesRequest } from './types.js';

type ChatContent = string | Array<Record<string, unknown>>;

interface AssistantTurn {
  content: string | null;
  reasoning: string | null;
  toolCalls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
}

/**
 * Builds the chat-completions body for a Responses request. Only fields the client set are sent;
 * a streamed request asks the upstream for usage (the Responses stream always ends with it).
 *
 * @example toChatRequest(parseResponsesRequest({ model: 'm', input: 'Hi', instructions: 'Be brief' }))
 * // { model: 'm', messages: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Hi' }] }
 */
export function toChatRequest(req: ResponsesRequest): ChatRequestBody {
  const messages: Array<Record<string, unknown>> = [];
  if (req.instructions !== undefined) messages.push({ role: 'system', content: req.instructions });
  messages.push(...toMessages(req.input));

  const body: ChatRequestBody = { model: req.model, messages };
  if (req.models !== undefined) body.models = req.models;
  if (req.stream === true) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  if (req.max_output_tokens !== undefined) body.max_tokens = req.max_output_tokens;
  if (req.temperature !== undefined) body['temperature'] = req.temperature;
  if (req.top_p !== undefined) body['top_p'] = req.top_p;
  if (req.tools !== undefined && req.tools.length > 0) {
    body.tools = req.tools.map((tool) => {
      const fn: Record<string, unknown> = { name: tool.name };
      if (tool.description !== null) fn['description'] = tool.description;
      if (tool.parameters !== null) fn['parameters'] = tool.parameters;
      if (tool.strict !== null) fn['strict'] = tool.strict;
      return { type: 'function', function: fn };
    });
  }
  if (req.tool_choice !== undefined) {
    body['tool_choice'] =
      typeof req.tool_choice === 'string'
        ? req.tool_choice
        : { type: 'function', function: { name: req.tool_choice.name } };
  }
  if (req.parallel_tool_calls !== undefined) body['parallel_tool_calls'] = req.parallel_tool_calls;
  const format = req.text?.format;
  if (format?.type === 'json_object') body.response_format = { type: 'json_object' };
  if (format?.type === 'json_schema') {
    const { type, ...jsonSchema } = format;
    body.response_format = { type, json_schema: jsonSchema };
  }
  if (req.text?.verbosity !== undefined) body['verbosity'] = req.text.verbosity;
  const reasoning = toChatReasoning(req);
  if (reasoning !== undefined) body['reasoning'] = reasoning;
  if (req.user !== undefined) body['user'] = req.user;
  if (req.provider !== undefined) body['provider'] = req.provider;
  return body;
}

/** The OpenRouter-style `reasoning` object, or undefined when the request leaves it to the upstream. */
function toChatReasoning(req: ResponsesRequest): Record<string, unknown> | undefined {
  const r = req.reasoning;
  if (r === undefined) return undefined;
  const out: Record<string, unknown> = {};
  if (r.effort !== undefined && r.effort !== null) out['effort'] = r.effort === 'xhigh' ? 'high' : r.effort;
  if (r.max_tokens !== undefined) out['max_tokens'] = r.max_tokens;
  if (r.exclude !== undefined) out['exclude'] = r.exclude;
  if (r.enabled !== undefined) out['enabled'] = r.enabled;
  return Object.keys(out).length === 0 ? undefined : out;
}

function toMessages(items: readonly ResponsesInputItem[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  let turn: AssistantTurn | undefined;
  const flush = () => {
    if (turn === undefined) return;
    // A reasoning item with nothing after it has no message to ride on; it is dropped.
    if (turn.content !== null || turn.toolCalls.length > 0) {
      const message: Record<string, unknown> = { role: 'assistant', content: turn.content };
      if (turn.toolCalls.length > 0) message['tool_calls'] = turn.toolCalls;
      if (turn.reasoning !== null) message['reasoning_content'] = turn.reasoning;
      out.push(message);
    }
    turn = undefined;
  };
  for (const item of items) {
    switch (item.type) {
      case 'reasoning': {
        if (turn !== undefined && (turn.content !== null || turn.toolCalls.length > 0)) flush();
        turn ??= { content: null, reasoning: null, toolCalls: [] };
        turn.reasoning = turn.reasoning === null ? item.text : `${turn.reasoning}\n\n${item.text}`;
        break;
      }
      case 'function_call': {
        turn ??= { content: null, reasoning: null, toolCalls: [] };
        turn.toolCalls.push({
          id: item.call_id,
          type: 'function',
          function: { name: item.name, arguments: item.arguments },
        });
        break;
      }
      case 'function_call_output':
        flush();
        out.push({ role: 'tool', tool_call_id: item.call_id, content: item.output });
        break;
      case 'message': {
        if (item.role === 'assistant') {
          if (turn !== undefined && (turn.content !== null || turn.toolCalls.length > 0)) flush();
          turn ??= { content: null, reasoning: null, toolCalls: [] };
          turn.content = textOf(item.content);
          break;
        }
        flush();
        const role = item.role === 'developer' ? 'system' : item.role;
        out.push({ role, content: role === 'user' ? userContent(item.content) : textOf(item.content) });
        break;
      }
    }
  }
  flush();
  return out;
}

/** Text parts joined. Only user messages may carry images (the parser enforces it). */
function textOf(content: string | readonly ResponsesContentPart[]): string {
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/**
 * A user message's content: a plain string when it is all text (some upstreams, DeepSeek among
 * them, take nothing else), the chat parts list when it holds an image.
 */
function userContent(content: string | readonly ResponsesContentPart[]): ChatContent {
  if (typeof content === 'string') return content;
  if (content.every((part) => part.type === 'text')) return textOf(content);
  return content.map((part) =>
    part.type === 'text'
      ? { type: 'text', text: part.text }
      : {
          type: 'image_url',
          image_url: part.detail === undefined ? { url: part.url } : { url: part.url, detail: part.detail },
        },
  );
}
