/**
 * The shapes this package speaks: a validated Responses request (normalised: `input` is always a
 * list of items, content parts are text or image), the context a response is built in, and the
 * usage it reports. Leaf module: imports nothing.
 */

/** A content part of an input message, after parsing. */
export type ResponsesContentPart =
  { type: 'text'; text: string } | { type: 'image'; url: string; detail: 'low' | 'high' | 'auto' | undefined };

/** One `input` item, after parsing. A string `input` becomes one user message. */
export type ResponsesInputItem =
  | {
      type: 'message';
      role: 'user' | 'assistant' | 'system' | 'developer';
      content: string | readonly ResponsesContentPart[];
    }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string }
  /** A reasoning item sent back by the client (from an earlier response's output): its text. */
  | { type: 'reasoning'; text: string };

/** A function tool, as the Responses API spells it (flat, not nested under `function`). */
export interface ResponsesFunctionTool {
  type: 'function';
  name: string;
  description: string | null;
  parameters: Record<string, unknown> | null;
  strict: boolean | null;
}

export type ResponsesToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; name: string };

export type ResponsesTextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      name: string;
      schema: Record<string, unknown>;
      description?: string;
      strict?: boolean | null;
    };

/** The Responses API's reasoning efforts. `xhigh` is sent upstream as `high`, our highest. */
export type ResponsesReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh';

export interface ResponsesReasoning {
  effort?: ResponsesReasoningEffort | null;
  /** Accepted and echoed; reasoning text is always returned as one summary part. */
  summary?: 'auto' | 'concise' | 'detailed' | null;
  /** OpenRouter's extensions of the same object, passed on to the chat request. */
  max_tokens?: number;
  exclude?: boolean;
  enabled?: boolean;
}

/**
 * A validated `POST /v1/responses` body. Absent optional fields stay absent, so the chat request
 * sends only what the client asked for and the Response object echoes OpenAI's defaults.
 */
export interface ResponsesRequest {
  model: string;
  input: readonly ResponsesInputItem[];
  instructions?: string;
  max_output_tokens?: number;
  tools?: readonly ResponsesFunctionTool[];
  tool_choice?: ResponsesToolChoice;
  temperature?: number;
  top_p?: number;
  stream?: boolean;
  text?: { format?: ResponsesTextFormat; verbosity?: 'low' | 'medium' | 'high' };
  reasoning?: ResponsesReasoning;
  /** The end user, from `user` or else `safety_identifier`; the gateway keys and hashes it. */
  user?: string;
  parallel_tool_calls?: boolean;
  /** Echoed on the Response object; never sent upstream. */
  metadata?: Readonly<Record<string, string>>;
  /** Accepted and echoed; SafeRouter never stores responses, whatever this says. */
  store?: boolean;
  /** The accepted (harmless) `include` values; none changes the output. */
  include?: readonly string[];
  /** OpenRouter's client-side fallback list, passed on to the chat request. */
  models?: readonly string[];
  /** OpenRouter's provider preferences, passed on to the chat request (the gateway validates them). */
  provider?: Readonly<Record<string, unknown>>;
}

/** Where a Response object is built: its id, creation time and model, and the request it answers. */
export interface ResponseContext {
  /** The response id, e.g. `resp_…`; output item ids are derived from it. */
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** The model id the client is told (the catalog id that answered). */
  model: string;
  request: ResponsesRequest;
}

/** Usage in the Responses API's shape; `cost` (USD) is SafeRouter's addition, as on chat completions. */
export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
  cost?: number;
}

/** A terminal status of a response. */
export type ResponseStatus = 'completed' | 'incomplete' | 'failed';

/** Why a response is incomplete, in the Responses API's words. */
export interface IncompleteDetails {
  reason: 'max_output_tokens' | 'content_filter';
}

/** The `error` of a failed response. */
export interface ResponseError {
  code: string;
  message: string;
}
