// What explaining a pasted kernel or QEMU log line answers, as the API carries it (LabApi
// explainLogLine; the same answer `pcilab explain --json` prints): the mechanism, the limit, the
// knobs, the preset that reproduces it and the line's numbers as `--set` overrides.
// Must not: import anything; core/run/logExplain.ts holds the table and produces this shape.

export interface LogLineKnob {
  /** A scenario path `pcilab run --set` accepts, or a host/QEMU setting outside the scenario. */
  readonly path: string;
  readonly what: string;
}

export interface LogLineExplanation {
  /** The table row that matched. */
  readonly pattern: string;
  /** Who printed the line: the host kernel, QEMU, or another VMM. */
  readonly printedBy: 'kernel' | 'qemu' | 'vmm';
  /** The function whose format string prints it (L = Linux, Q = QEMU). */
  readonly source: string;
  readonly mechanism: string;
  readonly limit: string;
  readonly knobs: readonly LogLineKnob[];
  /** The preset (and variant) that reproduces it; null when the lab has none. */
  readonly preset: string | null;
  readonly variant: string | null;
  /** Numbers the line carries, by name (memlockBytes, errno, dmaMaxMappings, iova, size...). */
  readonly numbers: Readonly<Record<string, number>>;
  readonly errno: string | null;
  /** Scenario overrides with the line's numbers. */
  readonly set: readonly string[];
  /** `pcilab run <preset> --set ...`, or null without a preset. */
  readonly command: string | null;
}

/** The longest line explainLogLine accepts, characters (a pasted dmesg line is far shorter). */
export const LOG_LINE_MAX_CHARS = 4096;
