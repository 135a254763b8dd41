// A canvas drawn in CSS pixels on a backing store of the screen's pixel density, as wide as the
// element it is sized by, redrawn at most once a frame (the lanes and the overview strip).
// Must not: decide what is drawn; the component's draw does, on a context already scaled.

import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

export interface CanvasSurface {
  /** The width of the sizing element in whole CSS pixels (0 until it is laid out). */
  readonly width: Ref<number>;
  /** Draws on the next frame; asking again before then still draws once. */
  scheduleDraw(): void;
}

export function useCanvasSurface(
  canvas: Ref<HTMLCanvasElement | null>,
  sizedBy: () => Element | null | undefined,
  heightPx: () => number,
  draw: (ctx: CanvasRenderingContext2D, canvas: HTMLCanvasElement) => void,
): CanvasSurface {
  const width = ref(0);
  let frame = 0;
  let resize: ResizeObserver | null = null;

  function paint(): void {
    frame = 0;
    const c = canvas.value;
    const ctx = c?.getContext('2d');
    if (!c || !ctx || width.value <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(width.value * dpr);
    const h = Math.round(heightPx() * dpr);
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    draw(ctx, c);
  }

  onMounted(() => {
    resize = new ResizeObserver((entries) => (width.value = Math.floor(entries[0]?.contentRect.width ?? 0)));
    const el = sizedBy();
    if (el) resize.observe(el);
  });
  onBeforeUnmount(() => {
    resize?.disconnect();
    if (frame !== 0) cancelAnimationFrame(frame);
  });

  return {
    width,
    scheduleDraw() {
      if (frame === 0) frame = requestAnimationFrame(paint);
    },
  };
}
