import {
  FixedLengthRecordFormat,
  NewlineRecordFormat,
  resolveBuiltInFormat,
} from '../../../lib/sharding/runtime/record-format';
import { RecordFormatSpec } from '../../../lib/sharding/runtime/types';

describe('NewlineRecordFormat', () => {
  const format = new NewlineRecordFormat();

  test('a boundary follows each LF, found from the byte before `from`', () => {
    // "ab\ncd\n" from offset 10: boundaries at 13 and 16
    const chunk = Buffer.from('ab\ncd\n');
    expect(format.findBoundary(chunk, 10, 10)).toBe(13);
    expect(format.findBoundary(chunk, 10, 13)).toBe(13);
    expect(format.findBoundary(chunk, 10, 14)).toBe(16);
    expect(format.findBoundary(chunk, 10, 17)).toBe(-1);
  });

  test('a chunk with no LF shows no boundary', () => {
    expect(format.findBoundary(Buffer.from('abc'), 0, 1)).toBe(-1);
  });

  test('counts LF-terminated records, CRLF ones, and an unterminated last record', () => {
    const counter = format.createCounter();
    counter.push(Buffer.from('a\r\nb'));
    counter.push(Buffer.from('c\n\nlast'));
    expect(counter.total()).toBe(4);
  });

  test('an empty body has no record', () => {
    const counter = format.createCounter();
    counter.push(Buffer.alloc(0));
    expect(counter.total()).toBe(0);
  });
});

describe('FixedLengthRecordFormat', () => {
  const format = new FixedLengthRecordFormat(8);

  test('boundaries are the multiples of the record length that the chunk reaches', () => {
    const chunk = Buffer.alloc(10);
    expect(format.findBoundary(chunk, 20, 20)).toBe(24);
    expect(format.findBoundary(chunk, 20, 25)).toBe(-1);
    expect(format.findBoundary(chunk, 16, 16)).toBe(16);
  });

  test('ranges are rounded down to whole records, at least one', () => {
    expect(format.rangeStep(100)).toBe(96);
    expect(format.rangeStep(3)).toBe(8);
  });

  test('fails when a record length is not a positive integer', () => {
    expect(() => new FixedLengthRecordFormat(0)).toThrow('format.recordLengthBytes must be a positive integer, got 0');
  });
});

test('fails when the format type is unknown', () => {
  const spec = { type: 'parquet' } as unknown as RecordFormatSpec;
  expect(() => resolveBuiltInFormat(spec)).toThrow(`format.type must be 'newline' or 'fixed', got "parquet"`);
});
