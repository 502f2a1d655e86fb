/**
 * The `error.code` values the simulator answers with. Featurebase documents only
 * `resource_not_found`; the others are our choice (UNCONFIRMED upstream), named in the same
 * snake_case style so the gateway can pass them through unchanged.
 */
export const ERROR_CODES = {
  resourceNotFound: 'resource_not_found',
  routeNotFound: 'route_not_found',
  methodNotAllowed: 'method_not_allowed',
  apiKeyMissing: 'api_key_missing',
  apiKeyInvalid: 'api_key_invalid',
  apiVersionInvalid: 'api_version_invalid',
  apiVersionUnsupported: 'api_version_unsupported',
  rateLimitExceeded: 'rate_limit_exceeded',
  parameterMissing: 'parameter_missing',
  parameterInvalid: 'parameter_invalid',
  parameterUnknown: 'parameter_unknown',
  invalidJson: 'invalid_json',
  invalidBody: 'invalid_body',
  unsupportedContentType: 'unsupported_content_type',
  bodyTooLarge: 'body_too_large',
  webhookLimitReached: 'webhook_limit_reached',
  internal: 'internal_error',
} as const;
