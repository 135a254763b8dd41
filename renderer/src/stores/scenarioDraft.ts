// The scenario being edited in the configurator: the object as the user wrote it (unset fields
// fall back to their defaults), where it came from, and its validation by the lab, re-run 200 ms
// after the last edit. Fields register the paths they show so every `path: message` problem lands
// on its field and the rest are listed at the top; a JSON field whose text does not parse holds a
// local error that keeps the run from starting.
// Must not: validate by itself (only the lab's validator decides) or reach the lab except through
// the typed API.

import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import { lab } from '../api/labClient';
import type { Segment } from '../schema/jsonSchema';
import { messagesFor, parseProblem, unplaced, type FieldClaim, type Problem } from '../schema/problems';
import { cloneScenario, getAt, markExplicit, setAt, unsetAt } from '../schema/scenarioPath';
import { errorMessage } from '../format/errorMessage';

export const VALIDATE_DEBOUNCE_MS = 200;

export type DraftOrigin =
  | { readonly kind: 'new' }
  | { readonly kind: 'preset'; readonly id: string; readonly title: string }
  | { readonly kind: 'run'; readonly id: number; readonly variants: readonly string[] }
  | { readonly kind: 'file'; readonly name: string };

export const useScenarioDraftStore = defineStore('scenarioDraft', () => {
  const scenario = ref<Record<string, unknown>>({ name: 'my-scenario' });
  const origin = ref<DraftOrigin>({ kind: 'new' });
  const initialized = ref(false);
  const problems = ref<Problem[]>([]);
  const version = ref(0);
  const validatedVersion = ref(-1);
  const validationError = ref<string | null>(null);
  const fields = reactive(new Map<string, FieldClaim & { count: number }>());
  const localErrors = reactive(new Set<string>());
  let timer: ReturnType<typeof setTimeout> | null = null;

  const checking = computed(() => validatedVersion.value !== version.value);
  const valid = computed(() => !checking.value && problems.value.length === 0 && localErrors.size === 0 && validationError.value === null);
  const unplacedProblems = computed(() => unplaced(problems.value, fields.values()));

  async function validateNow(): Promise<void> {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const at = version.value;
    try {
      const result = await lab.validateScenario({ scenario: cloneScenario(scenario.value) });
      if (at !== version.value) return;
      problems.value = result.problems.map(parseProblem);
      validationError.value = null;
    } catch (err) {
      if (at !== version.value) return;
      validationError.value = errorMessage(err);
    }
    validatedVersion.value = at;
  }

  watch(
    scenario,
    () => {
      version.value += 1;
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => void validateNow(), VALIDATE_DEBOUNCE_MS);
    },
    // Synchronous, so the version moves with every edit and a validation started right after an
    // edit (validateNow) is never mistaken for a stale one.
    { deep: true, flush: 'sync' },
  );

  function load(value: unknown, from: DraftOrigin): void {
    scenario.value = cloneScenario(value as Record<string, unknown>);
    origin.value = from;
    initialized.value = true;
    localErrors.clear();
  }

  function get(segments: readonly Segment[]): unknown {
    return getAt(scenario.value, segments);
  }

  function set(segments: readonly Segment[], value: unknown): void {
    setAt(scenario.value, segments, value);
    markExplicit(scenario.value, segments);
  }

  function unset(segments: readonly Segment[]): void {
    unsetAt(scenario.value, segments);
  }

  /** The list at `segments`, created empty when absent (for add buttons). */
  function list(segments: readonly Segment[]): unknown[] {
    const current = get(segments);
    if (Array.isArray(current)) return current;
    set(segments, []);
    return get(segments) as unknown[];
  }

  function removeItem(segments: readonly Segment[], index: number): void {
    const current = get(segments);
    if (Array.isArray(current)) current.splice(index, 1);
    markExplicit(scenario.value, segments);
  }

  function moveItem(segments: readonly Segment[], from: number, to: number): void {
    const current = get(segments);
    if (!Array.isArray(current) || to < 0 || to >= current.length) return;
    const [item] = current.splice(from, 1);
    current.splice(to, 0, item);
    markExplicit(scenario.value, segments);
  }

  function registerField(claim: FieldClaim): () => void {
    const key = `${claim.below ? '>' : '='}${claim.path}`;
    const entry = fields.get(key);
    if (entry === undefined) fields.set(key, { ...claim, count: 1 });
    else entry.count += 1;
    return () => {
      const e = fields.get(key);
      if (e === undefined) return;
      if (e.count <= 1) fields.delete(key);
      else e.count -= 1;
    };
  }

  function messagesAt(claim: FieldClaim): string[] {
    return messagesFor(claim, problems.value);
  }

  function setLocalError(path: string, on: boolean): void {
    if (on) localErrors.add(path);
    else localErrors.delete(path);
  }

  return {
    scenario,
    origin,
    initialized,
    problems,
    checking,
    valid,
    validationError,
    unplacedProblems,
    localErrors,
    validateNow,
    load,
    get,
    set,
    unset,
    list,
    removeItem,
    moveItem,
    registerField,
    messagesAt,
    setLocalError,
  };
});
