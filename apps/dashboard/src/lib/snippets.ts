/**
 * "Try it" snippets for a model, in curl, Python (openai) and TypeScript (openai). The same
 * function renders the on-screen version (key masked) and the clipboard one (key complete).
 */
export type SnippetLanguage = 'curl' | 'python' | 'typescript';

export const SNIPPET_LANGUAGES: { id: SnippetLanguage; label: string }[] = [
  { id: 'curl', label: 'curl' },
  { id: 'python', label: 'Python' },
  { id: 'typescript', label: 'TypeScript' },
];

/**
 * @example snippet('curl', 'https://gw.example', 'saferouter/demo', 'sk-sr-…')
 */
export function snippet(language: SnippetLanguage, origin: string, model: string, key: string): string {
  const base = `${origin}/v1`;
  const modelJson = JSON.stringify(model);
  switch (language) {
    case 'curl':
      return [
        `curl ${base}/chat/completions \\`,
        `  -H 'Authorization: Bearer ${key}' \\`,
        `  -H 'Content-Type: application/json' \\`,
        `  -d '${JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello!' }] }).replaceAll("'", "'\\''")}'`,
      ].join('\n');
    case 'python':
      return [
        'from openai import OpenAI',
        '',
        `client = OpenAI(base_url=${JSON.stringify(base)}, api_key=${JSON.stringify(key)})`,
        'response = client.chat.completions.create(',
        `    model=${modelJson},`,
        '    messages=[{"role": "user", "content": "Hello!"}],',
        ')',
        'print(response.choices[0].message.content)',
      ].join('\n');
    case 'typescript':
      return [
        "import OpenAI from 'openai';",
        '',
        `const client = new OpenAI({ baseURL: ${JSON.stringify(base)}, apiKey: ${JSON.stringify(key)} });`,
        'const response = await client.chat.completions.create({',
        `  model: ${modelJson},`,
        "  messages: [{ role: 'user', content: 'Hello!' }],",
        '});',
        'console.log(response.choices[0]?.message.content);',
      ].join('\n');
  }
}
