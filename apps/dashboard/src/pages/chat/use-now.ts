/**
 * A clock for live timers: `performance.now()`, re-read every 100 ms while `active`, so a
 * streaming answer's timers tick without re-rendering anything once it is over.
 */
import { useEffect, useState } from 'react';

export function useNow(active: boolean): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!active) return;
    setNow(performance.now());
    const timer = setInterval(() => setNow(performance.now()), 100);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}
