// Errors the user must see, shown in one banner by the shell: a LabApiError keeps its code and
// every `path: message` problem; anything else shows its message. Views report here instead of
// each drawing its own error box for failed service calls.
// Must not: swallow an error silently or rewrite its problems.

import { defineStore } from 'pinia';
import { ref } from 'vue';
import { LabApiError } from '../api/labClient';
import { errorMessage } from '../format/errorMessage';

export interface Notice {
  readonly id: number;
  /** What the user was doing: "Starting the run", "Deleting run 4". */
  readonly action: string;
  readonly message: string;
  readonly code: string | null;
  readonly problems: readonly string[];
}

export const useNoticesStore = defineStore('notices', () => {
  const notices = ref<Notice[]>([]);
  let nextId = 1;

  function report(action: string, err: unknown): void {
    const problems = err instanceof LabApiError ? err.problems : [];
    const message = errorMessage(err);
    notices.value = [
      ...notices.value,
      {
        id: nextId++,
        action,
        // A LabApiError's message often repeats its problems line by line; show them once.
        message: problems.length > 0 && message === problems.join('\n') ? `${problems.length} problem(s)` : message,
        code: err instanceof LabApiError ? err.code : null,
        problems,
      },
    ];
  }

  function dismiss(id: number): void {
    notices.value = notices.value.filter((n) => n.id !== id);
  }

  function dismissAll(): boolean {
    const had = notices.value.length > 0;
    notices.value = [];
    return had;
  }

  return { notices, report, dismiss, dismissAll };
});
