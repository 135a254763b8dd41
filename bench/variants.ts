// `npm run bench:variants [-- <preset-id-substring>]`: the per-variant speed table alone
// (bench/variantBench.ts), for a quick look while optimizing one preset.

import { benchVariants, variantTable } from './variantBench';

const filter = process.argv[2] ?? '';
console.log(variantTable(await benchVariants((id) => id.includes(filter))));
