// Comparison files on the page: saving the text exportComparison returns as a download (the desktop
// app saves downloads through its save dialog), and the one line an import answers with.
// Must not: read or check the file's content (the lab does, core/contract/comparisonExport.ts).

import type { ImportComparisonResult } from '../../../../core/contract/comparisonExport';

/** Offers `text` as a download named `fileName`. */
export function downloadText(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** "Imported "name" as saved comparison 3 over runs 4, 5; left out: ...; saved queries: 2 added, 1 already here." */
export function importedSummary(r: ImportComparisonResult): string {
  const left = r.missingRuns.length > 0 ? `; not in this lab, left out: ${r.missingRuns.join(', ')}` : '';
  return `Imported "${r.name}" as saved comparison ${r.comparisonId} over runs ${r.runIds.join(', ')}${left}; saved queries: ${r.queriesAdded} added, ${r.queriesKnown} already here.`;
}
