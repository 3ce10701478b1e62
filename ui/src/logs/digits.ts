/** 1,000,000: counts with thousands separators, without Intl (its first use costs tens of ms, on the way to the first screen). */
export function digits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
