/**
 * A deep copy of plain JSON data (everything the ports carry except byte streams). JSON's round
 * trip is several times faster than `structuredClone` for such data in V8.
 */
export const copyJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
