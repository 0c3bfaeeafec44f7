/** The HTTP API's version (also in /openapi.json). */
export const API_VERSION = '1.0.0';
