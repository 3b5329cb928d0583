// Reads short ASCII strings from the wasm's memory with a loop instead of `TextDecoder`, in
// the JS glue wasm-bindgen wrote: every tag, attribute, part name and word the widget passes
// to the DOM crosses this way, and `TextDecoder.decode` has a fixed cost per call far above
// that of building a dozen characters (100 cards make thousands of such calls: 11.5 ms of a
// 240 ms load in a CPU profile, scripts/bench-widget.mjs). Emscripten reads its strings the
// same way, with the decoder only for longer ones. A string with a byte over 127 (UTF-8
// beyond ASCII) goes to the decoder as before.
//
//   node scripts/fast-strings.mjs pkg/depeche.js
//
// The glue's function must read exactly as expected, or nothing is written and the build
// fails: a wasm-bindgen upgrade that changes it must be looked at, not passed over.
import { readFileSync, writeFileSync } from 'node:fs';

const [gluePath] = process.argv.slice(2);
if (!gluePath) {
  console.error('usage: node scripts/fast-strings.mjs GLUE');
  process.exit(2);
}

const original = `function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}`;
// Up to 32 bytes: longer texts (titles, paragraphs) are where the decoder is the faster. The
// bytes go into an array kept for each length and become one string in one call: building
// the string a character at a time left 0.27 MB more garbage after 100 cards (measured with
// scripts/bench-widget.mjs before a collection).
const patched = `const charCodes = Array.from({ length: 33 }, (_, n) => new Array(n).fill(0));
function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    const memory = getUint8ArrayMemory0();
    if (len <= 32) {
        const codes = charCodes[len];
        let i = 0;
        for (; i < len && memory[ptr + i] < 128; i++) codes[i] = memory[ptr + i];
        if (i === len) return String.fromCharCode.apply(null, codes);
    }
    return decodeText(memory.subarray(ptr, ptr + len));
}`;

const glue = readFileSync(gluePath, 'utf8');
const found = glue.split(original).length - 1;
if (found !== 1) {
  console.error(`fast-strings: the glue's getStringFromWasm0 was found ${found} times, expected once as:\n${original}`);
  process.exit(1);
}
writeFileSync(gluePath, glue.replace(original, patched));
