/** Where the CLI writes and reads; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** `seal-key`: the whole of stdin (default: process.stdin, refused when it is a terminal). */
  stdin?: () => Promise<Uint8Array>;
  /** `seal-key`: the environment SAFEROUTER_API_KEY is read from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}
