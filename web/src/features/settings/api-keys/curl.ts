/** The smallest working call, shown to people wiring another system to Clientela. */
export function curlExample(key: string): string {
  return `curl -H "Authorization: Bearer ${key}" ${window.location.origin}/api/v1/me`;
}
