/** Boots the dashboard: theme first (before the first paint), then the query client, the router and the session. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App } from './App';
import { applyTheme, initialTheme } from './lib/theme';
import { SessionProvider, storedKey } from './session';
import { meQuery, modelsQuery, verifyingKeyQuery } from './lib/api';
import 'uplot/dist/uPlot.min.css';
import './styles.css';

applyTheme(initialTheme());

const client = new QueryClient({
  defaultOptions: { queries: { refetchOnWindowFocus: false, retry: 1 } },
});

// Start what the first page needs now, while React is still mounting.
void client.prefetchQuery(verifyingKeyQuery);
const key = storedKey();
if (key !== undefined) {
  void client.prefetchQuery(meQuery(key));
  void client.prefetchQuery(modelsQuery(key));
}

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={client}>
      <BrowserRouter>
        <SessionProvider>
          <App />
        </SessionProvider>
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
