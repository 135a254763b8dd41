// The service's two imports (LabApi.importRunBundle, LabApi.importTrace), host-neutral: a run
// bundle's bytes become a new run, written in steps (runBundleImport.ts), a trace's text becomes a
// queued run replaying it on a host (traceImport.ts), as `pcilab import` and `pcilab import-trace`
// do. The bundle is imported by the service's importer (runBundleImporter.ts: a worker thread in
// the app and the browser host). Whatever is wrong with the input is a LabError naming the file and the problem.
// Must not: read files (the clients send their content) or validate arguments (apiDispatch does).

import type { ImportRunBundleRequest, ImportRunBundleResult, ImportTraceRequest } from '../../core/contract/imports';
import { LabError } from './labError';
import type { BundleImporter } from './runBundleImporter';
import { BundleError } from './runBundleFormat';
import type { RunPreparer } from './runPreparer';
import type { RunLauncher } from './runLauncher';
import { traceHostScenario, traceScenario, TraceImportError } from './traceImport';

/** Imports the bundle through `importer` (the service's import worker, or inline); a refused bundle is an 'invalid-argument' LabError. */
export async function importBundleWith(importer: BundleImporter, request: ImportRunBundleRequest): Promise<ImportRunBundleResult> {
  try {
    const r = await importer.importBase64(request.dataBase64, request.fileName);
    return { kind: r.kind, runId: r.runId, name: r.name, contentHash: r.contentHash };
  } catch (err) {
    if (err instanceof BundleError) throw new LabError('invalid-argument', err.message);
    throw err;
  }
}

/** Queues the run replaying the trace; resolves to its id (its progress and timeline as any run's). */
export async function queueTraceRun(preparer: RunPreparer, launcher: RunLauncher, request: ImportTraceRequest): Promise<{ runId: number }> {
  let scenario: Record<string, unknown>;
  try {
    const host = traceHostScenario({ preset: request.preset, scenarioText: request.scenarioText, scenarioName: 'scenario' });
    ({ scenario } = traceScenario(request.fileName, request.text, [], host));
  } catch (err) {
    if (err instanceof TraceImportError) throw new LabError('invalid-argument', err.message, err.problems);
    throw err;
  }
  const [prepared] = await preparer.prepare([{ scenario, overrides: request.overrides ?? [] }]);
  if (!prepared!.ok) throw new LabError('invalid-scenario', prepared!.problems.join('\n'), prepared!.problems);
  return { runId: launcher.launch(prepared!, `import-trace ${request.fileName}`) };
}
