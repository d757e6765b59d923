/**
 * Chat conversations, kept in this browser's localStorage (`saferouter.chat.conversations`, the
 * open one in `saferouter.chat.current`): nothing about them is stored by the gateway. A stored
 * value edited by hand loses only the turns that no longer parse.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { isString, readJson, writeJson } from '../../lib/storage';
import { isAnswer, type Turn } from './answer';

export interface Conversation {
  id: string;
  title: string;
  /** True once the user renamed it; until then the title follows the first message. */
  named: boolean;
  createdAt: number;
  updatedAt: number;
  turns: Turn[];
}

const LIST = 'chat.conversations';
const CURRENT = 'chat.current';
export const UNTITLED = 'New chat';
const TITLE_LENGTH = 48;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function turnFrom(value: unknown): Turn | undefined {
  if (!isRecord(value)) return undefined;
  if (value['role'] === 'user' && typeof value['content'] === 'string')
    return { role: 'user', content: value['content'] };
  if (value['role'] === 'assistant' && isAnswer(value['answer'])) return { role: 'assistant', answer: value['answer'] };
  return undefined;
}

function conversationFrom(value: unknown): Conversation | undefined {
  if (!isRecord(value) || typeof value['id'] !== 'string' || typeof value['title'] !== 'string') return undefined;
  const turns = Array.isArray(value['turns']) ? value['turns'].map(turnFrom).filter((t) => t !== undefined) : [];
  const createdAt = typeof value['createdAt'] === 'number' ? value['createdAt'] : 0;
  return {
    id: value['id'],
    title: value['title'],
    named: value['named'] === true,
    createdAt,
    updatedAt: typeof value['updatedAt'] === 'number' ? value['updatedAt'] : createdAt,
    // A stream cut by a reload is over: keep what arrived, marked as stopped.
    turns: turns.map((t) =>
      t.role === 'assistant' && (t.answer.status === 'waiting' || t.answer.status === 'streaming')
        ? { role: 'assistant', answer: { ...t.answer, status: 'stopped' } }
        : t,
    ),
  };
}

function load(): Conversation[] {
  const raw = readJson(LIST, Array.isArray);
  return (raw ?? []).map(conversationFrom).filter((c) => c !== undefined);
}

export function titleFrom(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line === '') return UNTITLED;
  return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1)}…` : line;
}

const newId = (): string => `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export interface Conversations {
  /** Most recently used first. */
  list: Conversation[];
  current: Conversation | undefined;
  select(id: string | undefined): void;
  /** A new empty conversation, opened; answers its id. */
  create(): string;
  rename(id: string, title: string): void;
  remove(id: string): void;
  /** Adds turns to a conversation (created first when `id` is undefined); answers its id. */
  append(id: string | undefined, ...turns: Turn[]): string;
  /** Removes the last turn when `drop` says so (a failed answer, before a retry). */
  dropLast(id: string, drop: (turn: Turn) => boolean): void;
}

export function useConversations(): Conversations {
  const [list, setList] = useState<Conversation[]>(load);
  const [currentId, setCurrentId] = useState<string | undefined>(() => readJson(CURRENT, isString));

  useEffect(() => writeJson(LIST, list), [list]);
  useEffect(() => writeJson(CURRENT, currentId), [currentId]);

  const change = useCallback((id: string, edit: (c: Conversation) => Conversation) => {
    setList((all) => all.map((c) => (c.id === id ? edit(c) : c)));
  }, []);

  const create = useCallback((): string => {
    const now = Date.now();
    const id = newId();
    setList((all) => [{ id, title: UNTITLED, named: false, createdAt: now, updatedAt: now, turns: [] }, ...all]);
    setCurrentId(id);
    return id;
  }, []);

  const append = useCallback(
    (id: string | undefined, ...turns: Turn[]): string => {
      const target = id ?? create();
      change(target, (c) => {
        const firstUser = [...c.turns, ...turns].find((t) => t.role === 'user');
        return {
          ...c,
          turns: [...c.turns, ...turns],
          updatedAt: Date.now(),
          title: c.named || firstUser?.role !== 'user' ? c.title : titleFrom(firstUser.content),
        };
      });
      return target;
    },
    [change, create],
  );

  const rename = useCallback(
    (id: string, title: string) => {
      const clean = title.replace(/\s+/g, ' ').trim();
      if (clean !== '') change(id, (c) => ({ ...c, title: clean, named: true }));
    },
    [change],
  );

  const remove = useCallback((id: string) => {
    setList((all) => all.filter((c) => c.id !== id));
    setCurrentId((current) => (current === id ? undefined : current));
  }, []);

  const dropLast = useCallback(
    (id: string, drop: (turn: Turn) => boolean) =>
      change(id, (c) => {
        const last = c.turns.at(-1);
        return last !== undefined && drop(last) ? { ...c, turns: c.turns.slice(0, -1) } : c;
      }),
    [change],
  );

  const sorted = useMemo(() => [...list].sort((a, b) => b.updatedAt - a.updatedAt), [list]);
  const current = list.find((c) => c.id === currentId);
  return { list: sorted, current, select: setCurrentId, create, rename, remove, append, dropLast };
}
