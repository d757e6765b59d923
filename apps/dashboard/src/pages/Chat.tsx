/**
 * Chat (`/chat`): a conversation with one model at a time, streamed token by token through the
 * verified channel. Conversations live in this browser's localStorage; each request carries the
 * open conversation's history (the text of its turns). Errors stay inline where they happened,
 * with the user's message kept so it can be retried.
 */
import { useEffect, useRef, useState } from 'react';
import { ModelPicker } from '../components/ModelPicker';
import { Empty, ErrorBox, Loading } from '../components/States';
import type { ChatMessage } from '../lib/chat-stream';
import { isString, readJson, writeJson } from '../lib/storage';
import { useModels } from '../lib/queries';
import { historyOf, isBusy, type Turn } from './chat/answer';
import { AssistantAnswer } from './chat/AssistantAnswer';
import { Composer } from './chat/Composer';
import { ConversationList } from './chat/ConversationList';
import { useConversations } from './chat/conversations';
import { defaultModel } from './chat/default-model';
import { useChannel } from './chat/use-channel';
import { useChatStream } from './chat/use-chat-stream';
import './Chat.css';

const MODEL = 'chat.model';

const EXAMPLES = [
  'Explain end-to-end encrypted inference in three sentences.',
  'Write a TypeScript function that retries a fetch with exponential backoff.',
];

const isFailedAnswer = (turn: Turn): boolean => turn.role === 'assistant' && turn.answer.status === 'error';

function UserMessage({ content }: { content: string }) {
  return (
    <div className="message message-user" data-testid="user-message">
      <span className="visually-hidden">You said:</span>
      {content}
    </div>
  );
}

export default function Chat() {
  const models = useModels();
  const channel = useChannel();
  const conversations = useConversations();
  const stream = useChatStream();
  const [picked, setPicked] = useState<string | undefined>(() => readJson(MODEL, isString));
  const [draft, setDraft] = useState('');
  /** The conversation the running stream belongs to. */
  const [streamingIn, setStreamingIn] = useState<string>();
  const input = useRef<HTMLTextAreaElement>(null);
  const end = useRef<HTMLDivElement>(null);

  const model = models.data === undefined ? picked : defaultModel(models.data, picked);
  const current = conversations.current;
  const busy = streamingIn !== undefined;
  const live = streamingIn !== undefined && streamingIn === current?.id ? stream.answer : undefined;
  const turns = current?.turns ?? [];

  // Keep the newest turn in view when one is added or an answer starts.
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'nearest' });
  }, [turns.length, live?.status]);

  const pick = (id: string): void => {
    setPicked(id);
    writeJson(MODEL, id);
  };

  const run = async (conversationId: string, history: ChatMessage[]): Promise<void> => {
    if (model === undefined) return;
    writeJson(MODEL, model);
    setStreamingIn(conversationId);
    const answer = await stream.send(model, history);
    conversations.append(conversationId, { role: 'assistant', answer });
    stream.reset();
    setStreamingIn(undefined);
    input.current?.focus();
  };

  const send = (): void => {
    const text = draft.trim();
    if (text === '' || model === undefined || busy) return;
    const user: Turn = { role: 'user', content: text };
    const history = historyOf([...turns, user]);
    const id = conversations.append(current?.id, user);
    setDraft('');
    void run(id, history);
  };

  const retry = (): void => {
    if (current === undefined || busy) return;
    const kept = current.turns.slice(0, -1);
    conversations.dropLast(current.id, isFailedAnswer);
    void run(current.id, historyOf(kept));
  };

  const lastIndex = turns.length - 1;
  return (
    <div className="chat-page">
      <div className="page-head chat-head">
        <h1 id="chat-title">Chat</h1>
        {current !== undefined && <p className="muted chat-current-title">{current.title}</p>}
        <div className="chat-model">
          <ModelPicker value={model} onChange={pick} />
        </div>
      </div>
      <ConversationList
        list={conversations.list}
        currentId={current?.id}
        disabled={busy}
        onSelect={conversations.select}
        onNew={() => {
          if (current === undefined || current.turns.length > 0) conversations.create();
          input.current?.focus();
        }}
        onRename={conversations.rename}
        onDelete={conversations.remove}
      />
      <section className="chat-main" aria-label="Current conversation">
        {models.isError && <ErrorBox error={models.error} onRetry={() => void models.refetch()} />}
        <div className="chat-log" role="log" aria-label="Messages" aria-live="off">
          {turns.map((turn, i) =>
            turn.role === 'user' ? (
              <UserMessage key={i} content={turn.content} />
            ) : (
              <div key={i} className="message message-assistant">
                <AssistantAnswer
                  answer={turn.answer}
                  onRetry={i === lastIndex && turn.answer.status === 'error' && !busy ? retry : undefined}
                />
              </div>
            ),
          )}
          {live !== undefined && (
            <div className="message message-assistant">
              <AssistantAnswer answer={live} startedAt={stream.startedAt} />
            </div>
          )}
          {turns.length === 0 && live === undefined && (
            <div className="chat-empty">
              {models.isPending ? (
                <Loading label="Loading models…" />
              ) : (
                <Empty title="Start a conversation">
                  <p className="muted">
                    Ask anything. The conversation is kept in this browser only; the whole of it is sent with each
                    message.
                  </p>
                  <div className="chat-examples">
                    {EXAMPLES.map((example) => (
                      <button
                        key={example}
                        type="button"
                        className="btn chat-example"
                        data-testid="chat-example"
                        onClick={() => {
                          setDraft(example);
                          input.current?.focus();
                        }}
                      >
                        {example}
                      </button>
                    ))}
                  </div>
                </Empty>
              )}
            </div>
          )}
          <div ref={end} />
        </div>
        <div className="chat-composer">
          <Composer
            value={draft}
            onChange={setDraft}
            onSend={send}
            onStop={stream.stop}
            busy={busy}
            canSend={model !== undefined && !channel.isError}
            label="Message"
            placeholder={
              model === undefined ? 'Choose a model to start' : `Message ${model} (Enter sends, Shift+Enter: new line)`
            }
            testIds={{ input: 'chat-input', send: 'chat-send', stop: 'chat-stop' }}
            inputRef={input}
          />
          {live !== undefined && isBusy(live) && (
            <p className="visually-hidden" role="status">
              {live.status === 'waiting' ? 'Waiting for the answer…' : 'Answer streaming…'}
            </p>
          )}
        </div>
      </section>
    </div>
  );
}
