// Writes the shipped files precompressed beside themselves: FILE.gz with Zopfli (a gzip
// stream, about 6 % smaller than `gzip -9`, too slow to make per request) and FILE.br with
// Brotli at its highest quality. The collector serves them to browsers that accept them
// (measured with scripts/size.sh).
//
//   node scripts/compress.mjs pkg/depeche_bg.<hash>.wasm pkg/embed.js
import { gzip } from '@gfx/zopfli';
import { readFileSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, constants, gunzipSync, brotliDecompressSync } from 'node:zlib';

for (const path of process.argv.slice(2)) {
  const data = readFileSync(path);
  const gz = await new Promise((resolve, reject) =>
    gzip(data, { numiterations: 15 }, (error, out) => (error ? reject(error) : resolve(Buffer.from(out)))));
  const br = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  // A file that does not decompress to its source must never be served.
  if (!gunzipSync(gz).equals(data) || !brotliDecompressSync(br).equals(data)) {
    console.error(`compress: ${path} does not round-trip`);
    process.exit(1);
  }
  writeFileSync(`${path}.gz`, gz);
  writeFileSync(`${path}.br`, br);
}
