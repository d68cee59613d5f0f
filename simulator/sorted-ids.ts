// An ascending list of ids with O(1) append of a new maximum (the common case: ids are issued in order),
// O(log n) lookup and O(n) memmove removal, which is microseconds at 100k ids. Slicing by offset is what
// the real API's offset pagination does.

export class SortedIds {
  private readonly ids: number[] = [];

  get length(): number {
    return this.ids.length;
  }

  add(id: number): void {
    const n = this.ids.length;
    if (n === 0 || this.ids[n - 1]! < id) {
      this.ids.push(id);
      return;
    }
    const i = this.lowerBound(id);
    if (this.ids[i] !== id) this.ids.splice(i, 0, id);
  }

  remove(id: number): void {
    const i = this.lowerBound(id);
    if (this.ids[i] === id) this.ids.splice(i, 1);
  }

  slice(start: number, end: number): number[] {
    return this.ids.slice(start, end);
  }

  values(): IterableIterator<number> {
    return this.ids.values();
  }

  private lowerBound(id: number): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
