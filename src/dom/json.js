// Reads for dom/json.rs that wasm-bindgen's own would make in several calls from the wasm.

// The own string property `key` of a JSON.parse result; undefined or null when missing or
// null; the value itself is thrown when it is of another type, for the caller to name it.
export function stringAt(object, key) {
  if (!Object.hasOwn(object, key)) return undefined;
  const value = object[key];
  if (typeof value === 'string' || value == null) return value;
  throw value;
}
