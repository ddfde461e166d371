import { describe, expect, it } from 'vitest';
import { resolveProgressMode } from './progress';

describe('resolveProgressMode', () => {
  it('maps booleans and undefined, keeps the modes, refuses the rest', () => {
    expect(resolveProgressMode('f', 'progress', true, 'off')).toBe('auto');
    expect(resolveProgressMode('f', 'progress', false, 'auto')).toBe('off');
    expect(resolveProgressMode('f', 'progress', undefined, 'lines')).toBe('lines');
    expect(resolveProgressMode('f', 'progress', 'bar', 'off')).toBe('bar');
    expect(() => resolveProgressMode('f', 'progress', 'fancy' as never, 'off')).toThrow(
      "Argument 'progress' passed to 'f' must be 'auto', 'bar', 'lines', 'off' or a boolean, but got 'fancy'.",
    );
  });
});
