// The child process a run query runs in (runQueryChild.ts), started the way its host allows: inside
// Electron (process.versions.electron) with Electron's utilityProcess, because a packaged app has
// the RunAsNode fuse off (electron/launcher/fuses.ts) and child_process.fork, which starts
// Electron's own binary as Node through ELECTRON_RUN_AS_NODE, would fail there; under Node (the
// browser mode, the CLI, the tests) with child_process.fork. Both are wrapped in one small
// interface, so runQuery.ts does not care which.
// Must not: import 'electron' (the CLI and the browser mode run under Node): the desktop entry
// passes Electron's utilityProcess.fork in.

import { fork, type ChildProcess } from 'node:child_process';
import type { QueryChildReply, QueryChildRequest } from './runQueryProtocol';

/** One query process, whichever way it was started. */
export interface QueryProcess {
  readonly stderr: NodeJS.ReadableStream | null;
  send(request: QueryChildRequest): void;
  kill(): void;
  onReply(listener: (reply: QueryChildReply) => void): void;
  /** The process ended; `how` is "exit N" or the signal. */
  onExit(listener: (how: string) => void): void;
  onError(listener: (err: Error) => void): void;
}

export type QueryProcessSpawner = () => QueryProcess;

/** What the lab uses of Electron's UtilityProcess (electron's `utilityProcess.fork` result). */
export interface UtilityProcessLike {
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
}

/** Electron's `utilityProcess.fork`, as far as the lab calls it. */
export type UtilityFork = (
  modulePath: string,
  args: string[],
  options: { stdio: ['ignore', 'ignore', 'pipe']; serviceName: string },
) => UtilityProcessLike;

/** How a host starts a query process. */
export type QueryProcessKind = 'utility-process' | 'node-fork';

/** Inside Electron (its version in process.versions) a utility process; under Node a fork. */
export function queryProcessKind(versions: Readonly<Record<string, string | undefined>>): QueryProcessKind {
  return typeof versions['electron'] === 'string' && versions['electron'] !== '' ? 'utility-process' : 'node-fork';
}

/** Wraps a forked Node child (the child answers over process.send and exits). */
export function fromChildProcess(child: ChildProcess): QueryProcess {
  return {
    stderr: child.stderr,
    send: (request) => void child.send(request),
    kill: () => void child.kill('SIGKILL'),
    onReply: (listener) => void child.on('message', (m) => listener(m as QueryChildReply)),
    onExit: (listener) => void child.on('exit', (code, signal) => listener(signal ?? `exit ${code ?? '?'}`)),
    onError: (listener) => void child.on('error', listener),
  };
}

/** Wraps an Electron utility process (the child answers over process.parentPort; it is ended once it has). */
export function fromUtilityProcess(child: UtilityProcessLike): QueryProcess {
  return {
    stderr: child.stderr,
    send: (request) => child.postMessage(request),
    kill: () => void child.kill(),
    onReply: (listener) =>
      void child.on('message', (m) => {
        listener(m as QueryChildReply);
        child.kill();
      }),
    onExit: (listener) => void child.on('exit', (code) => listener(`exit ${code}`)),
    onError: () => undefined, // a utility process that cannot start exits: onExit reports it
  };
}

export interface QueryProcessHost {
  /** process.versions of the host (its `electron` entry decides). */
  readonly versions: Readonly<Record<string, string | undefined>>;
  /** Electron's utilityProcess.fork; required inside Electron. */
  readonly utilityFork?: UtilityFork;
}

export interface QueryChildEntry {
  /** The file the child runs (a built .js/.mjs, or the .ts source with tsx in execArgv). */
  readonly path: string;
  /** Node options for a fork (tsx's --import when running the source); a utility process takes none. */
  readonly execArgv: readonly string[];
}

/** The spawner this host uses for `entry`: a utility process inside Electron, a fork under Node. */
export function queryProcessSpawner(host: QueryProcessHost, entry: QueryChildEntry): QueryProcessSpawner {
  if (queryProcessKind(host.versions) === 'utility-process') {
    const utilityFork = host.utilityFork;
    if (utilityFork === undefined) throw new Error('queryProcessSpawner: inside Electron the query process needs utilityProcess.fork');
    return () => fromUtilityProcess(utilityFork(entry.path, [], { stdio: ['ignore', 'ignore', 'pipe'], serviceName: 'pcilab run query' }));
  }
  return () => fromChildProcess(fork(entry.path, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [...entry.execArgv] }));
}
