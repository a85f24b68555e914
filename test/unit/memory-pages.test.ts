/**
 * The copy of an interpreter's memory (runtimes/python/memory-pages.ts): taken whole, scanned
 * later into zero, base and own pages; a restore gives back the memory as it was when taken,
 * before and after the scan, whatever changed since.
 */
import { describe, expect, it } from "vitest";
import { MemoryPages } from "../../runtimes/python/memory-pages.js";

const PAGE = 4096;

function memoryOf(pages: number, fill: (page: number) => number): Uint8Array {
  const m = new Uint8Array(pages * PAGE);
  for (let p = 0; p < pages; p++) m.fill(fill(p), p * PAGE, (p + 1) * PAGE);
  return m;
}

describe("MemoryPages", () => {
  // Pages 0-1 zero, 2-3 as the base, 4 own, 5 own and differing from the base in one byte.
  const base = memoryOf(6, (p) => (p >= 2 ? 7 : 0));
  const taken = () => {
    const m = memoryOf(6, (p) => (p < 2 ? 0 : p < 4 ? 7 : p));
    m[5 * PAGE] = 7;
    return m;
  };

  for (const when of ["before", "after"] as const) {
    it(`restores the memory as taken, ${when} the scan, with what lies past it zeroed`, () => {
      const memory = taken();
      const original = memory.slice();
      const pages = new MemoryPages(memory, base);
      if (when === "after") pages.compact();
      // The memory changes after the copy (and grows by a page).
      const grown = new Uint8Array(7 * PAGE);
      grown.set(memory);
      grown.fill(9);
      pages.restoreInto(grown);
      expect(grown.subarray(0, original.length)).toEqual(original);
      expect(grown.subarray(original.length).every((b) => b === 0)).toBe(true);
    });
  }

  it("keeps only the pages that are neither zero nor the base's once scanned", () => {
    const pages = new MemoryPages(taken(), base);
    expect(pages.ownBytes).toBe(2 * PAGE);
    pages.compact(); // idempotent
    expect(pages.ownBytes).toBe(2 * PAGE);
    expect(new MemoryPages(taken()).ownBytes).toBe(4 * PAGE);
  });
});
