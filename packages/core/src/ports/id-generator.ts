/** New unique ids (uuids in production, predictable sequences in tests). */
export interface IdGenerator {
  next(): string;
}
