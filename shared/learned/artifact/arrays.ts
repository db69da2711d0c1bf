import { z } from "zod";

/**
 * Numeric arrays inside an artifact: little-endian bytes in base64, so weights stay exact and take
 * about a third of what decimal text would. `i8` arrays carry one float32 scale per row (the first
 * axis), also in base64: value = byte × scale[row].
 */
export const dtypes = ["f32", "i8", "u8"] as const;
export type DType = (typeof dtypes)[number];

export const encodedArraySchema = z.strictObject({
  dtype: z.enum(dtypes),
  shape: z.array(z.number().int().nonnegative()).min(1).max(2),
  data: z.string(),
  scale: z.string().optional(),
});
export type EncodedArray = z.infer<typeof encodedArraySchema>;

const BYTES: Readonly<Record<DType, number>> = Object.freeze({ f32: 4, i8: 1, u8: 1 });

export class ArrayFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArrayFormatError";
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new ArrayFormatError("data is not valid base64");
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function encodeF32(values: ArrayLike<number>, shape: readonly number[]): EncodedArray {
  const array = Float32Array.from(values);
  if (array.length !== count(shape)) throw new ArrayFormatError(`expected ${count(shape)} values`);
  const bytes = new Uint8Array(array.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < array.length; i++) view.setFloat32(i * 4, array[i] as number, true);
  return { dtype: "f32", shape: [...shape], data: toBase64(bytes) };
}

/** Rows quantised to signed bytes, each with its own scale (its largest magnitude / 127). */
export function encodeI8(values: ArrayLike<number>, shape: readonly [number, number]): EncodedArray {
  const [rows, cols] = shape;
  if (values.length !== rows * cols) throw new ArrayFormatError(`expected ${rows * cols} values`);
  const bytes = new Int8Array(rows * cols);
  const scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(values[r * cols + c] as number));
    const s = Math.fround(max === 0 ? 1 : max / 127);
    scale[r] = s;
    for (let c = 0; c < cols; c++) bytes[r * cols + c] = Math.round((values[r * cols + c] as number) / s);
  }
  return {
    dtype: "i8",
    shape: [rows, cols],
    data: toBase64(new Uint8Array(bytes.buffer)),
    scale: encodeF32(scale, [rows]).data,
  };
}

export function encodeU8(values: ArrayLike<number>, shape: readonly number[]): EncodedArray {
  const array = Uint8Array.from(values);
  if (array.length !== count(shape)) throw new ArrayFormatError(`expected ${count(shape)} values`);
  return { dtype: "u8", shape: [...shape], data: toBase64(array) };
}

/** A decoded array as float32 (i8 rows rescaled), checked against the shape the caller expects. */
export function decodeF32(encoded: EncodedArray, shape: readonly number[], name: string): Float32Array {
  checkShape(encoded, shape, name);
  const bytes = fromBase64(encoded.data);
  const n = count(shape);
  if (bytes.length !== n * BYTES[encoded.dtype]) {
    throw new ArrayFormatError(`${name}: ${bytes.length} bytes of data for ${n} ${encoded.dtype} values`);
  }
  const out = new Float32Array(n);
  if (encoded.dtype === "f32") {
    readF32(bytes, out);
  } else if (encoded.dtype === "i8") {
    const cols = shape.length === 2 ? (shape[1] as number) : n;
    const rows = cols === 0 ? 0 : n / cols;
    const scaleBytes = fromBase64(encoded.scale ?? "");
    if (scaleBytes.length !== rows * 4) throw new ArrayFormatError(`${name}: expected ${rows} row scales`);
    const scale = readF32(scaleBytes, new Float32Array(rows));
    const signed = new Int8Array(bytes.buffer);
    for (let i = 0; i < n; i++) out[i] = (signed[i] as number) * (scale[Math.floor(i / cols)] as number);
  } else {
    for (let i = 0; i < n; i++) out[i] = bytes[i] as number;
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i])) throw new ArrayFormatError(`${name}: value ${i} is not a finite number`);
  }
  return out;
}

function readF32(bytes: Uint8Array, out: Float32Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** A decoded u8 array, as stored. */
export function decodeU8(encoded: EncodedArray, shape: readonly number[], name: string): Uint8Array {
  checkShape(encoded, shape, name);
  if (encoded.dtype !== "u8") throw new ArrayFormatError(`${name}: expected dtype u8, got ${encoded.dtype}`);
  const bytes = fromBase64(encoded.data);
  if (bytes.length !== count(shape)) throw new ArrayFormatError(`${name}: expected ${count(shape)} bytes`);
  return bytes;
}

function checkShape(encoded: EncodedArray, shape: readonly number[], name: string): void {
  if (encoded.shape.length !== shape.length || encoded.shape.some((d, i) => d !== shape[i])) {
    throw new ArrayFormatError(
      `${name}: expected shape [${shape.join(", ")}], got [${encoded.shape.join(", ")}]`,
    );
  }
}
