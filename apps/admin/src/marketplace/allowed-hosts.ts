/**
 * The allowed-hosts field as typed (comma- or space-separated) to what setSecret takes: an empty
 * field is null, which the API reads as "the hosts the installation's `http:` grants name".
 */
export function parseAllowedHosts(text: string): string[] | null {
  const hosts = text
    .split(/[\s,]+/)
    .map((h) => h.trim())
    .filter((h) => h !== '');
  return hosts.length === 0 ? null : hosts;
}

/** How a secret's allowed hosts read in the list. */
export function describeAllowedHosts(hosts: readonly string[] | null | undefined): string {
  if (hosts === null || hosts === undefined) return "the hosts the plugin's http: grants name";
  if (hosts.length === 0) return 'no host';
  return hosts.join(', ');
}
