/**
 * Query parameters that carry a credential: an address holding one of them must not be
 * stored as plain config, shown by the API, logged or put in an error message.
 */
export const SECRET_PARAMS = [
  'token', 'key', 'access_token', 'accesstoken', 'api_key', 'apikey', 'api-key', 'consumer_key', 'consumer_secret',
  'secret', 'client_secret', 'password', 'passwd', 'pass', 'pwd', 'auth', 'authorization', 'signature', 'sig',
  'session', 'sessionid', 'private_token', 'refresh_token', 'id_token', 'x-amz-signature', 'x-amz-credential', 'x-amz-security-token',
];
const SECRET_PARAM_SET = new Set(SECRET_PARAMS);

/** Whether a query parameter name carries a credential (`token`, `key`, `access_token`, `consumer_secret`, …). */
export function isSecretParam(name: string): boolean {
  const n = name.toLowerCase();
  return SECRET_PARAM_SET.has(n) || /(^|[_-])(token|secret|password|apikey|api_key)$/.test(n);
}

/**
 * An address with its credentials blanked: a user name and password (`user:pass@`)
 * and the values of credential parameters become `***`. Anything that is not a
 * full address is returned as is.
 *
 * @example
 * redactUrl('https://bob:pw@erp.example.com/stock.csv?token=abc&page=2') // 'https://***:***@erp.example.com/stock.csv?token=***&page=2'
 */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  let changed = false;
  if (url.username || url.password) {
    url.username = url.username ? '***' : '';
    url.password = url.password ? '***' : '';
    changed = true;
  }
  for (const name of new Set(url.searchParams.keys())) {
    if (isSecretParam(name)) {
      url.searchParams.set(name, '***');
      changed = true;
    }
  }
  return changed ? url.toString().replace(/%2A%2A%2A/g, '***') : value;
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>`]+/gi;

/** Every http(s) address inside a text, redacted (error messages, details, log lines). */
export function redactUrls(text: string): string {
  if (!text || !/https?:\/\//i.test(text)) return text;
  return text.replace(URL_IN_TEXT, (m) => {
    // A sentence's full stop or a closing bracket is not part of the address.
    const tail = /[.,;:)\]]+$/.exec(m)?.[0] ?? '';
    return redactUrl(m.slice(0, m.length - tail.length)) + tail;
  });
}

/** The credentials an address holds, by name (`user:pass@` as `userinfo`), for refusing or moving them. */
export function credentialsInUrl(value: string): { userinfo: boolean; params: string[] } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { userinfo: false, params: [] };
  }
  return { userinfo: !!(url.username || url.password), params: [...new Set(url.searchParams.keys())].filter(isSecretParam) };
}
