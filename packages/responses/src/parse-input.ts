/**
 * The Responses `input`: a string, or a list of items, normalised into the few item kinds a chat
 * completion can carry. Accepted: messages (`type: 'message'` or just a `role`) with text and
 * image parts, `function_call` and `function_call_output` items, and `reasoning` items (what a
 * client sends back from an earlier response's `output`, so `input: [...input, ...response.output]`
 * works). Items we cannot translate get a 400 naming them: `item_reference` (we store nothing),
 * files, audio, and the built-in tools' call items.
 */
import * as v from 'valibot';
import { check, quotable, record } from './check.js';
import { invalid, responsesError, unsupported } from './errors.js';
import { decodeReasoningToken } from './reasoning-token.js';
import type { ResponsesContentPart, ResponsesInputItem } from './types.js';

const ROLES = ['user', 'assistant', 'system', 'developer'] as const;
const Role = v.picklist(ROLES, `must be one of ${ROLES.join(', ')}`);
const Text = v.string('must be a string');
const Id = v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'));
const Detail = v.optional(
  v.nullable(v.picklist(['low', 'high', 'auto', 'original'], 'must be low, high, auto or original')),
);

/**
 * Parses `input`. A string is one user message.
 *
 * @example parseInput('Hi') // [{ type: 'message', role: 'user', content: 'Hi' }]
 * @throws {SafeRouterError} 400 naming `input[i]…` for a malformed or untranslatable item.
 */
export function parseInput(value: unknown): ResponsesInputItem[] {
  if (typeof value === 'string') return [{ type: 'message', role: 'user', content: value }];
  if (value === undefined || value === null) {
    throw responsesError('input', 'missing_required_parameter', "Missing required parameter: 'input'.");
  }
  if (!Array.isArray(value)) throw invalid('input', 'must be a string or an array of input items');
  if (value.length === 0) throw invalid('input', 'must not be empty');
  return value.map((item, i) => parseItem(item, `input[${i}]`));
}

function parseItem(value: unknown, at: string): ResponsesInputItem {
  const item = record(value, at);
  const type = item['type'] ?? (item['role'] !== undefined ? 'message' : undefined);
  switch (type) {
    case 'message':
      return parseMessage(item, at);
    case 'function_call':
      return {
        type: 'function_call',
        call_id: check(Id, item['call_id'], `${at}.call_id`),
        name: check(Id, item['name'], `${at}.name`),
        arguments: check(Text, item['arguments'], `${at}.arguments`),
      };
    case 'function_call_output':
      return {
        type: 'function_call_output',
        call_id: check(Id, item['call_id'], `${at}.call_id`),
        output: parseToolOutput(item['output'], `${at}.output`),
      };
    case 'reasoning':
      return { type: 'reasoning', text: reasoningText(item, at) };
    case 'item_reference':
      throw unsupported(
        at,
        'An item_reference (SafeRouter never stores responses: send the item itself; with @ai-sdk/openai set providerOptions.openai.store to false)',
      );
    case undefined:
      throw invalid(`${at}.type`, 'an input item needs a "type" (or a "role" for a message)');
    default: {
      const name = quotable(type);
      if (name === undefined) throw invalid(`${at}.type`, 'must be a known input item type');
      throw unsupported(`${at}.type`, `The input item type '${name}'`);
    }
  }
}

function parseMessage(item: Record<string, unknown>, at: string): ResponsesInputItem {
  const role = check(Role, item['role'], `${at}.role`);
  const content = item['content'];
  if (typeof content === 'string') return { type: 'message', role, content };
  if (!Array.isArray(content)) throw invalid(`${at}.content`, 'must be a string or an array of content parts');
  const parts = content.map((part, j) => parsePart(part, `${at}.content[${j}]`));
  if (role !== 'user' && parts.some((p) => p.type === 'image')) {
    throw unsupported(`${at}.content`, `An image in a ${role} message`);
  }
  return { type: 'message', role, content: parts };
}

function parsePart(value: unknown, at: string): ResponsesContentPart {
  const part = record(value, at);
  switch (part['type']) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: check(Text, part['text'], `${at}.text`) };
    case 'refusal':
      return { type: 'text', text: check(Text, part['refusal'], `${at}.refusal`) };
    case 'input_image': {
      if (part['file_id'] !== undefined && part['file_id'] !== null) {
        throw unsupported(`${at}.file_id`, 'An image by file id (send image_url, a URL or a data: URL)');
      }
      const url = check(Id, part['image_url'], `${at}.image_url`);
      const detail = check(Detail, part['detail'], `${at}.detail`);
      return { type: 'image', url, detail: detail === 'original' || detail === null ? undefined : detail };
    }
    case 'input_file':
      throw unsupported(at, 'A file input (input_file)');
    case 'input_audio':
      throw unsupported(at, 'An audio input (input_audio)');
    default: {
      const name = quotable(part['type']);
      if (name === undefined) throw invalid(`${at}.type`, 'must be a known content part type');
      throw unsupported(`${at}.type`, `The content part type '${name}'`);
    }
  }
}

/** A tool's output: a string, or a list of text parts (joined). Images and files are refused. */
function parseToolOutput(value: unknown, at: string): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) throw invalid(at, 'must be a string or an array of content parts');
  return value
    .map((part, j) => {
      const parsed = parsePart(part, `${at}[${j}]`);
      if (parsed.type !== 'text') throw unsupported(`${at}[${j}]`, 'An image in a function_call_output');
      return parsed.text;
    })
    .join('');
}

const TextList = v.optional(v.nullable(v.array(v.looseObject({ text: Text }), 'must be an array of text parts')));

/**
 * A reasoning item's text: from our own `encrypted_content` token when it carries one (what
 * `@ai-sdk/openai` sends back with `store: false`), else its `content` (raw reasoning text), else
 * its summary. Another provider's `encrypted_content` is unreadable here and ignored.
 */
function reasoningText(item: Record<string, unknown>, at: string): string {
  const fromToken = decodeReasoningToken(item['encrypted_content']);
  if (fromToken !== undefined) return fromToken;
  const content = check(TextList, item['content'], `${at}.content`) ?? [];
  if (content.length > 0) return content.map((c) => c.text).join('');
  const summary = check(TextList, item['summary'], `${at}.summary`) ?? [];
  return summary.map((s) => s.text).join('\n\n');
}
