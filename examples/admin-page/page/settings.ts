/**
 * The settings bar's first values, from the page's address: `?gateway=` and `?key=`. The key is
 * then removed from the address bar, so it does not stay in the history or get bookmarked.
 */

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:4000/graphql';

export interface InitialSettings {
  gatewayUrl: string;
  apiKey: string;
}

export function takeInitialSettings(location: Location, history: History): InitialSettings {
  const params = new URLSearchParams(location.search);
  const settings = {
    gatewayUrl: params.get('gateway') || DEFAULT_GATEWAY_URL,
    apiKey: params.get('key') ?? '',
  };
  if (params.has('key')) {
    params.delete('key');
    const query = params.toString();
    history.replaceState(
      null,
      '',
      `${location.pathname}${query ? `?${query}` : ''}${location.hash}`,
    );
  }
  return settings;
}
