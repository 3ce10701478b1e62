/** A binary min-heap by a numeric key: the scheduler's entries by the time they next need a look. */
export class MinHeap<T> {
  private readonly items: { key: number; value: T }[] = [];

  get size(): number {
    return this.items.length;
  }

  push(key: number, value: T): void {
    const items = this.items;
    items.push({ key, value });
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (items[parent]!.key <= key) break;
      [items[parent], items[index]] = [items[index]!, items[parent]!];
      index = parent;
    }
  }

  peekKey(): number | undefined {
    return this.items[0]?.key;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top?.value;
    items[0] = last;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < items.length && items[left]!.key < items[smallest]!.key) smallest = left;
      if (right < items.length && items[right]!.key < items[smallest]!.key) smallest = right;
      if (smallest === index) return top.value;
      [items[smallest], items[index]] = [items[index]!, items[smallest]!];
      index = smallest;
    }
  }

  clear(): void {
    this.items.length = 0;
  }
}
