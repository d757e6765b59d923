/** Queries more than one page reads, keyed in one place. */
import { useQuery } from '@tanstack/react-query';
import { useSignedIn } from '../session';
import { modelsQuery } from './api';

export function useModels() {
  const { key } = useSignedIn();
  return useQuery(modelsQuery(key));
}
