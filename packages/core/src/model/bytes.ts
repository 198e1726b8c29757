const UNITS = ["bytes", "KiB", "MiB", "GiB", "TiB"] as const;

/** A count of bytes for people, in the largest unit that keeps it at 1 or more: "512 bytes", "1.5 MiB". */
export const describeBytes = (bytes: number): string => {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(1))} ${UNITS[unit]}`;
};
