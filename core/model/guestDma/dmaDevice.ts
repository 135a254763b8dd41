// A device's DMA state as the guest's DMA layer sees it: its streaming and coherent masks (the PCI
// core starts both at 32 bits; the driver raises them), the "SAC" workaround flag of dma-iommu and
// the kernel messages the device produced.
// Must not: allocate or map anything.

/** DMA_BIT_MASK(bits): the highest address a mask of `bits` bits reaches (2^64 - 1 rounds to 2^64). */
export function dmaBitMask(bits: number): number {
  return bits >= 64 ? 2 ** 64 - 1 : 2 ** bits - 1;
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
