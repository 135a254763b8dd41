// The scenario's JSON Schema (as getScenarioSchema returns it, derived from the zod schema) read as
// editor fields: which input a property needs (choice, flag, number, u64 number-or-hex, list,
// nested group, tagged variants, raw JSON), its bounds, default, description and mirrored knob.
// The configurator's field lists come from here, so a new schema field appears without a renderer
// change; only the layout of sections is written by hand.
// Must not: know particular scenario fields (sections do), or touch the DOM.

export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly description?: string;
  readonly mirrors?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly anyOf?: readonly JsonSchema[];
  readonly oneOf?: readonly JsonSchema[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly propertyNames?: JsonSchema;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
}

export type Segment = string | number;

export type FieldKind =
  | 'choice' // a fixed set of values: a string enum or a union of constants (0 | 1, 39 | 48)
  | 'flag' // a boolean
  | 'integer'
  | 'number'
  | 'u64' // an unsigned 64-bit quantity: a number or a hex string "0x..."
  | 'text'
  | 'numberList' // an array of numbers (page sizes, page shifts)
  | 'group' // a nested object with known properties
  | 'tagged' // a union of objects told apart by a constant "kind"
  | 'list' // an array of objects
  | 'json'; // anything else: edited as JSON text

export interface Bounds {
  readonly min?: number;
  readonly max?: number;
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
}

export interface FieldSpec {
  readonly key: string;
  readonly segments: readonly Segment[];
  /** Dotted path, as the lab reports problems ("vms.0.vcpus"). */
  readonly path: string;
  readonly kind: FieldKind;
  readonly choices: readonly (string | number)[];
  readonly nullable: boolean;
  readonly required: boolean;
  readonly bounds: Bounds;
  readonly pattern?: string;
  readonly hasDefault: boolean;
  readonly defaultValue?: unknown;
  readonly description?: string;
  readonly mirrors?: string;
  readonly node: JsonSchema;
}

export function pathOf(segments: readonly Segment[]): string {
  return segments.map(String).join('.');
}

/** Follows a local "#/$defs/x" reference; anything else is returned as is. */
export function resolve(root: JsonSchema, node: JsonSchema): JsonSchema {
  let n = node;
  for (let guard = 0; n.$ref !== undefined && guard < 16; guard++) {
    const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(n.$ref);
    const target = m === null ? undefined : (root as Record<string, Record<string, JsonSchema> | undefined>)[m[1]!]?.[m[2]!];
    if (target === undefined) return n;
    n = { ...target, ...withoutRef(n) };
  }
  return n;
}

function withoutRef(n: JsonSchema): JsonSchema {
  const rest: Record<string, unknown> = { ...n };
  delete rest['$ref'];
  return rest as JsonSchema;
}

/** The alternatives of a union node, `null` split off. */
function alternatives(root: JsonSchema, node: JsonSchema): { alts: JsonSchema[]; nullable: boolean } {
  const list = node.anyOf ?? node.oneOf;
  if (list === undefined) {
    const t = node.type;
    const nullable = Array.isArray(t) && t.includes('null');
    return { alts: [node], nullable };
  }
  const flat: JsonSchema[] = [];
  let nullable = false;
  for (const a of list.map((x) => resolve(root, x))) {
    if (a.type === 'null') nullable = true;
    else if (a.anyOf !== undefined || a.oneOf !== undefined) {
      const inner = alternatives(root, a);
      nullable ||= inner.nullable;
      flat.push(...inner.alts);
    } else flat.push(a);
  }
  return { alts: flat, nullable };
}

function typeIs(n: JsonSchema, t: string): boolean {
  return n.type === t || (Array.isArray(n.type) && n.type.includes(t));
}

/** The constant value of the `kind` property of each alternative, when every alternative has one. */
export function taggedKinds(root: JsonSchema, node: JsonSchema, tag = 'kind'): string[] | null {
  const { alts } = alternatives(root, node);
  if (alts.length < 2 || !alts.every((a) => typeof a.properties?.[tag]?.const === 'string')) return null;
  return alts.map((a) => a.properties![tag]!.const as string);
}

/** The alternative whose `kind` constant is `kind`. */
export function taggedBranch(root: JsonSchema, node: JsonSchema, kind: unknown, tag = 'kind'): JsonSchema | undefined {
  return alternatives(root, node).alts.find((a) => a.properties?.[tag]?.const === kind);
}

function classify(
  root: JsonSchema,
  node: JsonSchema,
): { kind: FieldKind; choices: (string | number)[]; nullable: boolean; main: JsonSchema } {
  const { alts, nullable } = alternatives(root, node);
  const none = { choices: [], nullable };
  if (alts.length === 1) {
    const n = alts[0]!;
    if (n.enum !== undefined) return { kind: 'choice', choices: n.enum.filter(isPrimitiveChoice), nullable, main: n };
    if (typeIs(n, 'boolean')) return { kind: 'flag', ...none, main: n };
    if (typeIs(n, 'integer')) return { kind: 'integer', ...none, main: n };
    if (typeIs(n, 'number')) return { kind: 'number', ...none, main: n };
    if (typeIs(n, 'string')) return { kind: 'text', ...none, main: n };
    if (typeIs(n, 'array')) {
      const item = resolve(root, n.items ?? {});
      if (typeIs(item, 'integer') || typeIs(item, 'number')) return { kind: 'numberList', ...none, main: n };
      if (typeIs(item, 'object') || taggedKinds(root, item) !== null) return { kind: 'list', ...none, main: n };
      return { kind: 'json', ...none, main: n };
    }
    if (typeIs(n, 'object') && n.properties !== undefined && n.propertyNames === undefined) return { kind: 'group', ...none, main: n };
    return { kind: 'json', ...none, main: n };
  }
  if (alts.every((a) => a.const !== undefined && isPrimitiveChoice(a.const))) {
    return { kind: 'choice', choices: alts.map((a) => a.const as string | number), nullable, main: alts[0]! };
  }
  const integer = alts.find((a) => typeIs(a, 'integer'));
  const hex = alts.find((a) => typeIs(a, 'string') && a.pattern?.startsWith('^0x') === true);
  if (alts.length === 2 && integer !== undefined && hex !== undefined) return { kind: 'u64', ...none, main: integer };
  if (taggedKinds(root, node) !== null) return { kind: 'tagged', ...none, main: node };
  return { kind: 'json', ...none, main: node };
}

function isPrimitiveChoice(v: unknown): v is string | number {
  return typeof v === 'string' || typeof v === 'number';
}

/** The field a schema node describes, at `segments` in the scenario. */
export function fieldOf(root: JsonSchema, rawNode: JsonSchema, segments: readonly Segment[], required = false): FieldSpec {
  const node = resolve(root, rawNode);
  const c = classify(root, node);
  const m = c.main;
  const bounds: Bounds = {
    min: m.exclusiveMinimum ?? m.minimum ?? m.minItems,
    max: m.exclusiveMaximum ?? m.maximum ?? m.maxItems,
    minExclusive: m.exclusiveMinimum !== undefined,
    maxExclusive: m.exclusiveMaximum !== undefined,
  };
  return {
    key: String(segments[segments.length - 1] ?? ''),
    segments,
    path: pathOf(segments),
    kind: c.kind,
    choices: c.choices,
    nullable: c.nullable,
    required,
    bounds,
    pattern: m.pattern,
    hasDefault: 'default' in node,
    defaultValue: node.default,
    description: node.description ?? m.description,
    mirrors: node.mirrors ?? m.mirrors,
    node,
  };
}

/** The fields of an object node's properties, in schema order; constant properties (a variant's kind) are left out. */
export function fieldsOf(root: JsonSchema, objectNode: JsonSchema, base: readonly Segment[]): FieldSpec[] {
  const node = resolve(root, objectNode);
  const required = new Set(node.required ?? []);
  return Object.entries(node.properties ?? {})
    .filter(([, child]) => resolve(root, child).const === undefined)
    .map(([key, child]) => fieldOf(root, child, [...base, key], required.has(key)));
}

/** The node at `segments`, following properties and items (and, for tagged unions, the branch the value selects). */
export function nodeAt(
  root: JsonSchema,
  segments: readonly Segment[],
  valueAt?: (path: readonly Segment[]) => unknown,
): JsonSchema | undefined {
  let node: JsonSchema | undefined = root;
  for (let i = 0; i < segments.length && node !== undefined; i++) {
    node = resolve(root, node);
    const seg = segments[i]!;
    if (typeof seg === 'number') node = node.items;
    else if (node.properties !== undefined) node = node.properties[seg];
    else if (node.anyOf !== undefined || node.oneOf !== undefined) {
      const kind = valueAt?.([...segments.slice(0, i), 'kind']);
      node = taggedBranch(root, node, kind)?.properties?.[seg];
    } else node = undefined;
  }
  return node === undefined ? undefined : resolve(root, node);
}

/** "integer 1 … 2147483648", "number > 0 … 3600000": the accepted range in words. */
export function describeBounds(f: FieldSpec): string {
  const { min, minExclusive, maxExclusive } = f.bounds;
  // The largest exact integer is zod's "any non-negative integer", not a limit worth showing.
  const max = f.bounds.max === Number.MAX_SAFE_INTEGER ? undefined : f.bounds.max;
  if (min === undefined && max === undefined) return '';
  if (max === undefined) return `${minExclusive === true ? '>' : '>='} ${min!.toLocaleString('en-US')}`;
  const lo = min === undefined ? '' : `${minExclusive === true ? '> ' : ''}${min.toLocaleString('en-US')}`;
  const hi = max === undefined ? '' : `${maxExclusive === true ? '< ' : ''}${max.toLocaleString('en-US')}`;
  return `${lo} … ${hi}`.trim();
}

/** The field at `segments`, with `required` read from its parent object. */
export function fieldAt(
  root: JsonSchema,
  segments: readonly Segment[],
  valueAt?: (path: readonly Segment[]) => unknown,
): FieldSpec | undefined {
  const node = nodeAt(root, segments, valueAt);
  if (node === undefined) return undefined;
  const parentSegs = segments.slice(0, -1);
  let parent = nodeAt(root, parentSegs, valueAt);
  if (parent !== undefined && parent.properties === undefined) {
    parent = taggedBranch(root, parent, valueAt?.([...parentSegs, 'kind']));
  }
  const key = segments[segments.length - 1];
  return fieldOf(root, node, segments, typeof key === 'string' && (parent?.required ?? []).includes(key));
}
