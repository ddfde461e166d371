/**
 * The little of the zip format that `torch.save` archives need: the central directory (zip64
 * included) and the data of stored (uncompressed) entries, checked against their CRC-32. A
 * compressed or encrypted entry is refused, saying so.
 */
import type { Fail } from './errors';

/** An entry of a zip archive's central directory. */
export interface ZipEntry {
  /** Its path in the archive. */
  name: string;
  /** 0: stored; 8: deflate; … */
  method: number;
  /** The general-purpose flags (bit 0: encrypted). */
  flags: number;
  /** The CRC-32 of its uncompressed data. */
  crc32: number;
  /** Bytes in the archive. */
  compressedSize: number;
  /** Bytes once extracted. */
  size: number;
  /** Where its local header starts. */
  localHeaderOffset: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

const METHOD_NAMES: Record<number, string> = {
  1: 'shrink',
  6: 'implode',
  8: 'deflate',
  9: 'deflate64',
  12: 'bzip2',
  14: 'lzma',
  93: 'zstandard',
  95: 'xz',
};

const names = new TextDecoder('utf-8');

/** The entries of the zip archive `bytes`, in the order of its central directory. */
export function readZipDirectory(bytes: Uint8Array, fail: Fail): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (at: number, what: string): number => {
    const value = view.getBigUint64(at, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`its ${what} (${value}) is impossibly large`);
    return Number(value);
  };

  // The end-of-central-directory record: the last 22 bytes, or before a comment of up to 64 KiB.
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (
      view.getUint32(at, true) === END_OF_DIRECTORY &&
      at + 22 + view.getUint16(at + 20, true) === bytes.length
    ) {
      end = at;
      break;
    }
  }
  if (end < 0) {
    fail(
      'it starts like a zip archive but has no end-of-central-directory record: the file is truncated or corrupt',
    );
  }
  let entryCount = view.getUint16(end + 10, true);
  let directorySize = view.getUint32(end + 12, true);
  let directoryOffset = view.getUint32(end + 16, true);
  if (view.getUint16(end + 4, true) !== 0 || view.getUint16(end + 6, true) !== 0) {
    fail('it is a zip archive split over several files, which this reader does not read');
  }
  if (entryCount === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || view.getUint32(locator, true) !== ZIP64_LOCATOR) {
      fail('its directory needs zip64 records, but the zip64 locator is missing (corrupt file)');
    }
    const end64 = u64(locator + 8, 'zip64 directory offset');
    if (end64 + 56 > bytes.length || view.getUint32(end64, true) !== ZIP64_END_OF_DIRECTORY) {
      fail('its zip64 end-of-central-directory record is missing (truncated or corrupt file)');
    }
    entryCount = u64(end64 + 32, 'entry count');
    directorySize = u64(end64 + 40, 'directory size');
    directoryOffset = u64(end64 + 48, 'directory offset');
  }
  if (directoryOffset + directorySize > bytes.length) {
    fail(
      `its central directory (bytes ${directoryOffset} to ` +
        `${directoryOffset + directorySize}) lies beyond the end of the file (${bytes.length} ` +
        `bytes): the file is truncated or corrupt`,
    );
  }

  const entries: ZipEntry[] = [];
  let at = directoryOffset;
  for (let index = 0; index < entryCount; index++) {
    if (at + 46 > directoryOffset + directorySize || view.getUint32(at, true) !== DIRECTORY_ENTRY) {
      fail(`entry ${index + 1} of its central directory is corrupt`);
    }
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > directoryOffset + directorySize)
      fail(`entry ${index + 1} of its central directory is corrupt`);
    const entry: ZipEntry = {
      name: names.decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      flags: view.getUint16(at + 8, true),
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    };
    // Sizes and offsets too large for 32 bits are in the zip64 extra field, in this order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = view.getUint16(extra, true);
      const length = view.getUint16(extra + 2, true);
      if (id === 0x0001) {
        let field = extra + 4;
        const next64 = (what: string): number => {
          if (field + 8 > extra + 4 + length)
            fail(`the zip64 sizes of entry '${entry.name}' are corrupt`);
          field += 8;
          return u64(field - 8, `${what} of entry '${entry.name}'`);
        };
        if (entry.size === 0xffffffff) entry.size = next64('size');
        if (entry.compressedSize === 0xffffffff) entry.compressedSize = next64('compressed size');
        if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next64('offset');
      }
      extra += 4 + length;
    }
    entries.push(entry);
    at = next;
  }
  return entries;
}

/** The data of a stored entry, checked against its CRC-32; a compressed or encrypted one is refused. */
export function zipEntryData(bytes: Uint8Array, entry: ZipEntry, fail: Fail): Uint8Array {
  if (entry.flags & 1) fail(`its entry '${entry.name}' is encrypted`);
  if (entry.method !== 0) {
    const method = METHOD_NAMES[entry.method] ?? `method ${entry.method}`;
    fail(
      `its entry '${entry.name}' is compressed (${method}); torch.save stores every entry ` +
        `uncompressed and this reader reads only those. Was the archive re-zipped? Load and ` +
        `save it again with torch.save, or rezip it without compression (zip -0)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL_HEADER) {
    fail(`the local header of its entry '${entry.name}' is missing (truncated or corrupt file)`);
  }
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (entry.compressedSize !== entry.size) {
    fail(
      `its entry '${entry.name}' is stored but its sizes differ (${entry.compressedSize} and ${entry.size})`,
    );
  }
  if (start + entry.size > bytes.length) {
    fail(
      `its entry '${entry.name}' (bytes ${start} to ${start + entry.size}) lies beyond the ` +
        `end of the file (${bytes.length} bytes): the file is truncated`,
    );
  }
  const data = bytes.subarray(start, start + entry.size);
  const crc = crc32(data);
  if (crc !== entry.crc32) {
    fail(
      `its entry '${entry.name}' is corrupt: its CRC-32 is ${hex(crc)}, but the archive's ` +
        `directory says ${hex(entry.crc32)}`,
    );
  }
  return data;
}

let crcTable: Int32Array | undefined;

/** The CRC-32 (zip's, polynomial 0xEDB88320) of `data`. */
export function crc32(data: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  const table = crcTable;
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}
