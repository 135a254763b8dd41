// A device's DMA state as the guest's DMA layer sees it: its streaming and coherent masks (the PCI
// core starts both at 32 bits; the driver raises them), the "SAC" workaround flag of dma-iommu and
// the kernel messages the device produced.
// Must not: allocate or map anything.

/** DMA_BIT_MASK(n) for n = 0..63 (as doubles: above 2^53 rounded, as 2 ** n - 1 is). */
const DMA_BIT_MASKS: readonly number[] = Array.from({ length: 64 }, (_, n) => 2 ** n - 1);

/** DMA_BIT_MASK(bits): the highest address a mask of `bits` bits reaches (2^64 - 1 rounds to 2^64). */
export function dmaBitMask(bits: number): number {
  if (bits >= 64) return 2 ** 64 - 1;
  // The usual masks (a device has at most two) from a table: the map path asks for one per call.
  return Number.isInteger(bits) && bits >= 0 ? DMA_BIT_MASKS[bits]! : 2 ** bits - 1;
}

/** A device's DMA state as dma-iommu sees it. */
export class DmaDevice {
  /** dev->iommu->pci_32bit_workaround: try below 4 GiB first; cleared for good on the first failure. */
  pci32bitWorkaround: boolean;
  /** Kernel log lines this device produced ("Using 42-bit DMA addresses"). */
  readonly log: string[] = [];
  /** Widest address the device's limit allowed when it gave up the 32-bit window (bits_per(dma_limit)). */
  dacBits = 0;

  constructor(
    readonly name: string,
    public dmaMaskBits: number,
    public coherentMaskBits: number,
    forcedac: boolean,
  ) {
    this.pci32bitWorkaround = !forcedac;
  }
}
