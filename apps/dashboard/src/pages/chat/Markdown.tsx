/**
 * Model output rendered as sanitized markdown (`renderMarkdown`), with a copy button on every code
 * block. The buttons are added to the rendered DOM after each render of new HTML (the sanitizer
 * strips buttons from the HTML itself, and the CSP allows no inline handlers), and taken out again
 * (the DOM restored) before React replaces that HTML.
 */
import { useEffect, useMemo, useRef } from 'react';
import { renderMarkdown } from '../../lib/markdown';

function addCopyButtons(root: HTMLElement): () => void {
  const cleanups: (() => void)[] = [];
  for (const pre of root.querySelectorAll('pre')) {
    const wrapper = document.createElement('div');
    wrapper.className = 'code-block';
    pre.replaceWith(wrapper);
    wrapper.append(pre);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'btn btn-small code-copy';
    button.textContent = 'Copy';
    button.setAttribute('aria-label', 'Copy code');
    button.dataset['testid'] = 'code-copy';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const say = (text: string): void => {
      button.textContent = text;
      clearTimeout(timer);
      timer = setTimeout(() => {
        button.textContent = 'Copy';
      }, 1500);
    };
    const onClick = (): void => {
      const text = (pre.querySelector('code') ?? pre).textContent ?? '';
      navigator.clipboard.writeText(text).then(
        () => say('Copied'),
        () => say('Copy failed'),
      );
    };
    button.addEventListener('click', onClick);
    wrapper.append(button);
    cleanups.push(() => {
      clearTimeout(timer);
      button.removeEventListener('click', onClick);
      if (wrapper.isConnected) wrapper.replaceWith(pre);
    });
  }
  return () => {
    for (const cleanup of cleanups) cleanup();
  };
}

export function Markdown({ text }: { text: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = root.current;
    if (element === null) return;
    return addCopyButtons(element);
  }, [html]);
  return <div ref={root} className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
