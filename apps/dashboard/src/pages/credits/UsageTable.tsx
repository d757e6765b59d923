/** A key's usage per model since it was created: requests, tokens and cost. */
import type { Credits } from '../../lib/api';
import { tokens, usd } from '../../lib/format';

export function UsageTable({ usage }: { usage: Credits['usage'] }) {
  return (
    <div className="table-wrap">
      <table data-testid="credits-usage">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Prompt tokens
            </th>
            <th scope="col" className="num">
              Completion tokens
            </th>
            <th scope="col" className="num">
              Cost
            </th>
          </tr>
        </thead>
        <tbody>
          {usage.map((u) => (
            <tr key={u.model} data-testid="usage-row" data-model={u.model}>
              <th scope="row" className="mono usage-model">
                {u.model}
              </th>
              <td className="num">{u.requests.toLocaleString('en-US')}</td>
              <td className="num" title={u.prompt_tokens.toLocaleString('en-US')}>
                {tokens(u.prompt_tokens)}
              </td>
              <td className="num" title={u.completion_tokens.toLocaleString('en-US')}>
                {tokens(u.completion_tokens)}
              </td>
              <td className="num">{usd(u.cost_usd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
