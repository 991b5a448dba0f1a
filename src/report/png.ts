/** SVG charts as PNG for papers: resvg (a well-kept SVG renderer, no browser). The only import site of `@resvg/resvg-js`. */
import { Resvg } from '@resvg/resvg-js';

/** Twice the SVG's size, on white. */
export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}
