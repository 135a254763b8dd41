// `npm run bench:variants [-- <preset-id-substring>]`: the per-variant speed table alone
// (bench/variantBench.ts), for a quick look while optimizing one preset.

import { benchVariants, variantTable, VARIANT_METHOD_NOTES } from './variantBench';

const filter = process.argv[2] ?? '';
console.log(variantTable(await benchVariants((id) => id.includes(filter))));
console.log(['', ...VARIANT_METHOD_NOTES].join('\n'));
