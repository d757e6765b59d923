/**
 * A tiny element builder. Everything the gateway sends (check details, sub-results) becomes a
 * text node, never markup: a gateway being verified must not be able to inject HTML into the page
 * that judges it.
 */

export type Child = Node | string | null | undefined | false;
export type Attrs = Record<string, string | boolean | undefined>;

/**
 * @example el('li', { 'data-check': 'quote', class: 'check' }, el('h3', {}, 'Fresh attestation quote'))
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : value);
  }
  append(node, ...children);
  return node;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Replaces an element's content. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/**
 * The element with this id, of this type.
 * @throws {Error} when the page's markup lacks it (a build mistake, not a user error).
 */
export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`verifier page: #${id} is missing or not a ${type.name}`);
  return node;
}

/** `12 ms`, `0.4 ms`, `1.25 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}
