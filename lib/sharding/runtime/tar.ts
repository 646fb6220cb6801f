/**
 * A streaming tar writer (POSIX ustar, with pax extended headers where ustar cannot hold a member).
 *
 * It only builds headers: the caller streams each member's bytes between `header()` and `padding()`, so
 * memory stays flat whatever the member or archive size. Members carry mode 0644, uid/gid 0 and mtime 0,
 * so that the same members always give the same archive bytes.
 *
 * @see https://pubs.opengroup.org/onlinepubs/9799919799/utilities/pax.html (ustar and pax formats)
 */

export const BLOCK = 512;
/** Largest size that the 11 octal digits of a ustar header hold: 8 GiB - 1. */
const USTAR_MAX_SIZE = 0o77777777777;

/** Bytes of zero padding after a member of `size` bytes. */
export function paddingBytes(size: number): number {
  const rest = size % BLOCK;
  return rest === 0 ? 0 : BLOCK - rest;
}

/** The two zero blocks that end an archive. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}

/** Zero padding after a member of `size` bytes. */
export function padding(size: number): Buffer {
  return Buffer.alloc(paddingBytes(size));
}

function isPlainAscii(name: string): boolean {
  // Printable ASCII only: anything else goes to a pax `path` record, in UTF-8.
  return /^[\x20-\x7e]*$/.test(name);
}

/** Whether a member needs a pax header: a name ustar cannot hold as is, or a size over 8 GiB - 1. */
export function needsPax(name: string, size: number): boolean {
  return Buffer.byteLength(name) > 100 || !isPlainAscii(name) || size > USTAR_MAX_SIZE;
}

/** One pax record, `"<len> <key>=<value>\n"`, where `<len>` counts the whole record including itself. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = Buffer.byteLength(body);
  let length = bodyBytes + 1;
  while (String(length).length + bodyBytes !== length) length = String(length).length + bodyBytes;
  return Buffer.from(`${length}${body}`);
}

function writeString(block: Buffer, value: string, offset: number, length: number): void {
  Buffer.from(value).copy(block, offset, 0, length);
}

function writeOctal(block: Buffer, value: number, offset: number, length: number): void {
  // length - 1 digits, zero-padded, then NUL.
  writeString(block, value.toString(8).padStart(length - 1, '0'), offset, length - 1);
}

function ustarHeader(name: string, size: number, type: '0' | 'x'): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, name, 0, 100);
  writeOctal(block, 0o644, 100, 8);
  writeOctal(block, 0, 108, 8);
  writeOctal(block, 0, 116, 8);
  writeOctal(block, size, 124, 12);
  writeOctal(block, 0, 136, 12);
  block.fill(0x20, 148, 156);
  block.write(type, 156, 'latin1');
  writeString(block, 'ustar\0', 257, 6);
  writeString(block, '00', 263, 2);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, `${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

/** A printable-ASCII stand-in of at most 100 bytes, for the ustar name field of a member with a pax path. */
function fallbackName(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  return ascii.length <= 100 ? ascii : ascii.slice(ascii.length - 100);
}

/**
 * The header block(s) of a regular-file member: one ustar block, preceded by a pax extended header
 * when the name is longer than 100 bytes or not printable ASCII, or the size is 8 GiB or more.
 */
export function header(name: string, size: number): Buffer {
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`tar member size must be a non-negative integer, got ${size}`);
  if (name === '' || name.includes('\0')) throw new Error(`tar member name must be non-empty without NUL, got ${JSON.stringify(name)}`);
  if (!needsPax(name, size)) return ustarHeader(name, size, '0');
  const records: Buffer[] = [];
  if (Buffer.byteLength(name) > 100 || !isPlainAscii(name)) records.push(paxRecord('path', name));
  if (size > USTAR_MAX_SIZE) records.push(paxRecord('size', String(size)));
  const pax = Buffer.concat(records);
  const short = fallbackName(name);
  return Buffer.concat([
    ustarHeader(`PaxHeader/${short}`.slice(0, 100), pax.length, 'x'),
    pax,
    padding(pax.length),
    ustarHeader(short, size > USTAR_MAX_SIZE ? 0 : size, '0'),
  ]);
}

/** Bytes that a member of this name and size takes in the archive: header(s), data and padding. */
export function memberBytes(name: string, size: number): number {
  return header(name, size).length + size + paddingBytes(size);
}
