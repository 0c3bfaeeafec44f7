export * from './types.js';
export { configureSharp, probeImage, readGreyImage, to8Bit, type ImageInfo, type ImageSource, type ReadOptions } from './read.js';
export { encodeGreyPng, writeGreyPng } from './write.js';
export { renderPreviewPng } from './preview.js';
export { decodePnm } from './pnm.js';
export { loadOpenCv, type OpenCv } from './opencv.js';
