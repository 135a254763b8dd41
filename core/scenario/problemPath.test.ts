import { describe, expect, it } from 'vitest';
import { pathText } from './problemPath';

describe('the path of a problem line', () => {
  it('writes a path segment that could break the path: message form as a JSON string', () => {
    expect(pathText([])).toBe('(root)');
    expect(pathText(['guest', 'kernelParams', 'iommu.strict'])).toBe('guest.kernelParams.iommu.strict');
    expect(pathText(['costs', 'a b: c\nd', 0])).toBe('costs."a b: c\\nd".0');
  });
});
