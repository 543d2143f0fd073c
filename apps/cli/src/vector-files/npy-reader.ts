/**
 * Reads a NumPy `.npy` file holding a 2-D float32 (or float64) C-order matrix, the format
 * `np.save` writes. Only what embedding exports use is supported; anything else is refused
 * with a message saying what was found.
 */
export interface VectorMatrix {
  rows: number;
  dim: number;
  /** `rows * dim` floats, row-major. */
  values: Float32Array;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"

export function readNpy(file: Buffer): VectorMatrix {
  if (file.length < 10 || !file.subarray(0, 6).equals(MAGIC)) throw new Error('not a .npy file (missing the \\x93NUMPY magic)');
  const major = file[6]!;
  const headerLength = major === 1 ? file.readUInt16LE(8) : file.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = file.toString('latin1', headerStart, headerStart + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shape === undefined) throw new Error(`unreadable .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new Error('Fortran-order arrays are not supported; save with np.ascontiguousarray');
  const dims = shape
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(Number);
  if (dims.length !== 2) throw new Error(`expected a 2-D matrix (rows x dim), got shape (${shape})`);
  const [rows, dim] = dims as [number, number];
  const dataStart = headerStart + headerLength;
  const count = rows * dim;
  if (descr === '<f4') {
    if (file.length - dataStart !== count * 4) throw new Error(`.npy data holds ${file.length - dataStart} bytes; shape needs ${count * 4}`);
    const values = new Float32Array(count);
    Buffer.from(values.buffer).set(file.subarray(dataStart)); // copy: the data may sit unaligned
    return { rows, dim, values };
  }
  if (descr === '<f8') {
    if (file.length - dataStart !== count * 8) throw new Error(`.npy data holds ${file.length - dataStart} bytes; shape needs ${count * 8}`);
    const values = new Float32Array(count);
    for (let index = 0; index < count; index += 1) values[index] = file.readDoubleLE(dataStart + index * 8);
    return { rows, dim, values };
  }
  throw new Error(`unsupported dtype ${descr}; expected float32 (<f4) or float64 (<f8)`);
}
