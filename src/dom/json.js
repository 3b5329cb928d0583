// Reads for dom/json.rs that wasm-bindgen's own would make in several calls from the wasm.

// The own string property `key` of a JSON.parse result; undefined or null when missing or
// null; the value itself is thrown when it is of another type, for the caller to name it.
export function stringAt(object, key) {
  if (!Object.hasOwn(object, key)) return undefined;
  const value = object[key];
  if (typeof value === 'string' || value == null) return value;
  throw value;
}

// What a JSON.parse value is, as dom/json.rs numbers its kinds: 0 null (or undefined),
// 1 boolean, 2 number, 3 string, 4 array, 5 object.
export function kindOf(value) {
  if (value == null) return 0;
  switch (typeof value) {
    case 'boolean': return 1;
    case 'number': return 2;
    case 'string': return 3;
  }
  return Array.isArray(value) ? 4 : 5;
}
