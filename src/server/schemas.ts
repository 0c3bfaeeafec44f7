/** JSON schemas shared by route groups (request validation, response shapes, OpenAPI). */
export const serialParam = {
  type: 'object',
  required: ['serial'],
  properties: { serial: { type: 'string', minLength: 1, maxLength: 200, description: 'Part serial number' } },
} as const;

export const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1 } },
} as const;

export const attributesSchema = {
  type: 'object',
  description: 'Free part attributes: name -> value',
  additionalProperties: { type: 'string', maxLength: 1000 },
  propertyNames: { minLength: 1, maxLength: 200 },
} as const;

export const partSchema = {
  type: 'object',
  required: ['id', 'serial', 'partNumber', 'attributes', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'integer' },
    serial: { type: 'string' },
    partNumber: { type: ['string', 'null'] },
    attributes: { type: 'object', additionalProperties: { type: 'string' } },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

export const captureSchema = {
  type: 'object',
  required: ['id', 'partId', 'serial', 'blobHash', 'format', 'width', 'height', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    partId: { type: 'integer' },
    serial: { type: 'string' },
    blobHash: { type: 'string' },
    format: { type: 'string' },
    width: { type: 'integer' },
    height: { type: 'integer' },
    face: { type: ['string', 'null'] },
    device: { type: ['string', 'null'] },
    pixelSizeUm: { type: ['number', 'null'] },
    lighting: { type: ['string', 'null'] },
    operator: { type: ['string', 'null'] },
    capturedAt: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    imageUrl: { type: 'string', description: 'GET this (with the key) for the stored image file' },
  },
} as const;

export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;

/** Capture metadata as multipart form fields (strings; pixel_size_um parsed as a number). */
export const captureMetaFields = {
  face: { type: 'string', maxLength: 200 },
  device: { type: 'string', maxLength: 200 },
  pixel_size_um: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$', description: 'micrometres per pixel' },
  lighting: { type: 'string', maxLength: 200 },
  operator: { type: 'string', maxLength: 200 },
  captured_at: { type: 'string', maxLength: 40, description: 'ISO 8601' },
} as const;

export const imageFileField = { type: 'string', format: 'binary', description: 'Image file (PNG, TIFF, JPEG, PGM/PPM)' } as const;

export const anyObject = { type: 'object', additionalProperties: true } as const;
