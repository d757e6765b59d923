/**
 * Routes. Models loads with the app; every other page is its own chunk, loaded when first
 * visited, so the first route stays small (marked, DOMPurify and uPlot are not in it).
 * Without a session every route shows the sign-in form; Keys is for the admin key only.
 */
import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { Layout } from './components/Layout';
import { Empty, Loading } from './components/States';
import { Models } from './pages/Models';
import { SignIn } from './pages/SignIn';
import { useSession } from './session';

const Chat = lazy(() => import('./pages/Chat'));
const Compare = lazy(() => import('./pages/Compare'));
const Activity = lazy(() => import('./pages/Activity'));
const Keys = lazy(() => import('./pages/Keys'));
const Credits = lazy(() => import('./pages/Credits'));

function AdminOnly({ children }: { children: ReactNode }) {
  const { session } = useSession();
  if (session?.isAdmin) return children;
  return (
    <Empty title="Admin only">Key management needs the admin key. Sign out and sign in with it to manage keys.</Empty>
  );
}

export function App() {
  const { session, loading } = useSession();
  let page: ReactNode;
  if (loading) page = <Loading label="Checking your key…" />;
  else if (session === undefined) page = <SignIn />;
  else
    page = (
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route path="/" element={<Navigate to="/models" replace />} />
          <Route path="/models" element={<Models />} />
          <Route path="/chat/*" element={<Chat />} />
          <Route path="/compare/*" element={<Compare />} />
          <Route path="/activity/*" element={<Activity />} />
          <Route
            path="/keys/*"
            element={
              <AdminOnly>
                <Keys />
              </AdminOnly>
            }
          />
          <Route path="/credits/*" element={<Credits />} />
          <Route path="*" element={<Empty title="Page not found">Pick a page from the navigation.</Empty>} />
        </Routes>
      </Suspense>
    );
  return <Layout>{page}</Layout>;
}
