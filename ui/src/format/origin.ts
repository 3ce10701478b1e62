/** Where definitions were applied from, as user@host; what is known of it, or null when nothing is (applied through the API without saying). */
export function userAtHost(origin: { user: string; host: string }): string | null {
  if (origin.user && origin.host) return `${origin.user}@${origin.host}`;
  return origin.host || origin.user || null;
}
