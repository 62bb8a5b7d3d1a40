/**
 * The identities (external id, email, phone keys) a run has written, kept as 32-bit hashes in an
 * open-addressing table: about 8 bytes per key instead of the ~100 a Set of strings costs, so a
 * million-row import remembers its three million keys in ~32 MB. A hash says "maybe written"
 * (another key can share it), never "written": the run looks every maybe up in the database, and
 * a key whose hash is absent was certainly not written by this run.
 */
export class WrittenKeys {
  private slots = new Uint32Array(1 << 14);
  private count = 0;

  /** FNV-1a over the UTF-16 code units; 0 marks an empty slot, so a 0 hash becomes 1. */
  static hash(key: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) {
      h ^= key.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0 || 1;
  }

  get size(): number {
    return this.count;
  }

  add(key: string): void {
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    if (this.insert(this.slots, WrittenKeys.hash(key))) this.count++;
  }

  mayHave(key: string): boolean {
    const h = WrittenKeys.hash(key);
    const mask = this.slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const slot = this.slots[i]!;
      if (slot === 0) return false;
      if (slot === h) return true;
    }
  }

  private insert(slots: Uint32Array, h: number): boolean {
    const mask = slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const slot = slots[i]!;
      if (slot === h) return false;
      if (slot === 0) {
        slots[i] = h;
        return true;
      }
    }
  }

  private grow(): void {
    const bigger = new Uint32Array(this.slots.length * 2);
    for (const h of this.slots) if (h !== 0) this.insert(bigger, h);
    this.slots = bigger;
  }
}
