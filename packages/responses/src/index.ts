/**
 * @saferouter/responses: the OpenAI Responses API (`POST /v1/responses`) translated onto chat
 * completions, as pure functions with no HTTP, routing or billing: parse and validate a request,
 * build the chat body, and turn the chat answer back into a Response object or into the Responses
 * streaming events, chunk by chunk.
 */
export { parseResponsesRequest } from './parse-request.js';
export { toChatRequest } from './to-chat.js';
export { chatToResponse } from './chat-to-response.js';
export { toResponsesUsage } from './response-object.js';
export { createResponsesStream, type ResponsesStream, type ResponsesStreamEnd } from './stream.js';
export type { ResponsesErrorCode } from './errors.js';
export type * from './types.js';
