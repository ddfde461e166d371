/**
 * A safe unpickler: it reads the opcodes of Python's pickle protocols 2 to 5 that state dicts and
 * checkpoints use, builds plain values from them, and never executes anything. A global (a class
 * or function the pickle names) is looked up in an allow-list and refused otherwise, before
 * anything is built from it; what an allowed global does when called is up to the caller.
 */
import type { Fail } from './errors';

/** A Python global that the allow-list let through: its module and name. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  /** `module.name`, as Python writes it. */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** What the caller of {@link unpickle} decides. */
export interface UnpickleHooks {
  /** Names the pickle (`'data.pkl'`, `'the main pickle'`) in error messages. */
  what: string;
  /** The globals (`'collections.OrderedDict'`) the pickle may name; any other is refused. */
  allowedGlobals: ReadonlySet<string>;
  /** What calling an allowed global with `args` gives (REDUCE; NEWOBJ with `construct`). */
  call(global: PickleGlobal, args: unknown[], construct: boolean): unknown;
  /** The object a persistent id stands for (BINPERSID), or `undefined` to refuse it. */
  persistentLoad?(pid: unknown): unknown;
  /** Throws the reader's error. */
  fail: Fail;
}

/** The value of one pickle starting at `start` in `bytes`, and where it ends (after STOP). */
export interface Unpickled {
  value: unknown;
  end: number;
}

const OPCODE_NAMES: Record<number, string> = {
  0x80: 'PROTO',
  0x95: 'FRAME',
  0x2e: 'STOP',
  0x28: 'MARK',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x4e: 'NONE',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4d: 'BININT2',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x47: 'BINFLOAT',
  0x58: 'BINUNICODE',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8e: 'BINBYTES8',
  0x96: 'BYTEARRAY8',
  0x7d: 'EMPTY_DICT',
  0x5d: 'EMPTY_LIST',
  0x29: 'EMPTY_TUPLE',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x74: 'TUPLE',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x6c: 'LIST',
  0x64: 'DICT',
  0x61: 'APPEND',
  0x65: 'APPENDS',
  0x73: 'SETITEM',
  0x75: 'SETITEMS',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x94: 'MEMOIZE',
  0x68: 'BINGET',
  0x6a: 'LONG_BINGET',
  0x63: 'GLOBAL',
  0x93: 'STACK_GLOBAL',
  0x52: 'REDUCE',
  0x62: 'BUILD',
  0x81: 'NEWOBJ',
  0x51: 'BINPERSID',
};

/** Opcodes a safe reader of state dicts has no use for, by byte, with what they are. */
const REFUSED_OPCODES: Record<number, string> = {
  0x92: 'NEWOBJ_EX (an object built with keyword arguments)',
  0x69: 'INST (an object of protocol 0)',
  0x6f: 'OBJ (an object of protocol 1)',
  0x82: 'EXT1 (a global from the copyreg extension registry)',
  0x83: 'EXT2 (a global from the copyreg extension registry)',
  0x84: 'EXT4 (a global from the copyreg extension registry)',
  0x97: 'NEXT_BUFFER (an out-of-band buffer)',
  0x98: 'READONLY_BUFFER (an out-of-band buffer)',
  0x50: 'PERSID (a persistent id of protocol 0)',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads one pickle from `bytes` at `start` (up to and including its STOP opcode). Python values
 * become: `None` → `null`, `bool` → `boolean`, `int` → `number` (a `bigint` from ±2^53 on),
 * `float` → `number`, `str` → `string`, `bytes` → `Uint8Array`, `tuple` and `list` → arrays,
 * `dict` → `Map`, `set` → `Set`; what an allowed global builds is the caller's (`hooks.call`).
 */
export function unpickle(bytes: Uint8Array, start: number, hooks: UnpickleHooks): Unpickled {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = start;
  let opcodeAt = start;
  let opcode = 0;

  const fail = (problem: string): never =>
    hooks.fail(`${hooks.what}, byte ${opcodeAt - start} (${opcodeName(opcode)}): ${problem}`);
  const need = (n: number): void => {
    if (pos + n > bytes.length) {
      hooks.fail(
        `${hooks.what} ends at byte ${bytes.length - start} in the middle of its ` +
          `${opcodeName(opcode)} opcode (byte ${opcodeAt - start}): the file is truncated`,
      );
    }
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++];
  };
  const u16 = (): number => {
    need(2);
    pos += 2;
    return view.getUint16(pos - 2, true);
  };
  const i32 = (): number => {
    need(4);
    pos += 4;
    return view.getInt32(pos - 4, true);
  };
  const u32 = (): number => {
    need(4);
    pos += 4;
    return view.getUint32(pos - 4, true);
  };
  const u64 = (): number => {
    need(8);
    pos += 8;
    const value = view.getBigUint64(pos - 8, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`a length of ${value} bytes`);
    return Number(value);
  };
  const take = (n: number): Uint8Array => {
    if (n < 0) fail(`a negative length (${n})`);
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const text = (n: number): string => {
    const raw = take(n);
    try {
      return utf8.decode(raw);
    } catch {
      return fail('a string that is not valid UTF-8');
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) {
      need(bytes.length - pos + 1);
    }
    const value = text(end - pos);
    pos++; // the newline
    return value;
  };
  const pop = (): unknown => {
    if (stack.length <= (marks.length > 0 ? marks[marks.length - 1] : 0))
      fail('the stack is empty (corrupt pickle)');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length <= (marks.length > 0 ? marks[marks.length - 1] : 0))
      fail('the stack is empty (corrupt pickle)');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const mark = marks.pop();
    if (mark === undefined) return fail('no MARK before it (corrupt pickle)');
    return stack.splice(mark);
  };
  const signedLittleEndian = (raw: Uint8Array): number | bigint => {
    let value = 0n;
    for (let i = raw.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]);
    if (raw.length > 0 && raw[raw.length - 1] & 0x80) value -= 1n << BigInt(8 * raw.length);
    return toNumberIfSafe(value);
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof Map)) fail(`sets items on ${kindOf(target)}, not a dict`);
    const map = target as Map<unknown, unknown>;
    for (let i = 0; i + 1 < items.length; i += 2) map.set(items[i], items[i + 1]);
  };
  const append = (target: unknown, items: unknown[]): void => {
    if (!Array.isArray(target)) fail(`appends to ${kindOf(target)}, not a list`);
    for (const item of items) (target as unknown[]).push(item);
  };
  const global = (module: string, name: string): PickleGlobal => {
    const qualified = `${module}.${name}`;
    if (hooks.allowedGlobals.size === 0)
      fail(`it names the Python global '${qualified}', where none may be`);
    if (!hooks.allowedGlobals.has(qualified)) {
      fail(
        `it names the Python global '${qualified}', which this reader refuses: it loads only ` +
          'tensors and plain values, and never runs code from a file (allowed: ' +
          `${[...hooks.allowedGlobals].join(', ')}). A whole model saved with torch.save(model) ` +
          'names its classes: save model.state_dict() instead',
      );
    }
    return new PickleGlobal(module, name);
  };
  const call = (construct: boolean): void => {
    const args = pop();
    const callable = pop();
    if (!(callable instanceof PickleGlobal))
      fail(`calls ${kindOf(callable)}, which is not a global`);
    if (!Array.isArray(args))
      fail(`calls '${(callable as PickleGlobal).qualifiedName}' with ${kindOf(args)}, not a tuple`);
    stack.push(hooks.call(callable as PickleGlobal, args as unknown[], construct));
  };

  if (start >= bytes.length) hooks.fail(`${hooks.what} is missing: the file ends at byte ${start}`);
  for (;;) {
    opcodeAt = pos;
    opcode = 0;
    if (pos >= bytes.length) {
      hooks.fail(
        `${hooks.what} ends at byte ${pos - start} without its STOP opcode: the file is truncated`,
      );
    }
    opcode = bytes[pos++];
    switch (opcode) {
      case 0x80: {
        const protocol = u8();
        if (protocol > 5) fail(`pickle protocol ${protocol}, newer than the 5 this reader knows`);
        break;
      }
      case 0x95:
        u64(); // a frame's length: only a hint for buffering
        break;
      case 0x2e:
        return { value: pop(), end: pos };
      case 0x28:
        marks.push(stack.length);
        break;
      case 0x30:
        if (marks.length > 0 && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31:
        popMark();
        break;
      case 0x32:
        stack.push(top());
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        stack.push(i32());
        break;
      case 0x4b:
        stack.push(u8());
        break;
      case 0x4d:
        stack.push(u16());
        break;
      case 0x8a:
        stack.push(signedLittleEndian(take(u8())));
        break;
      case 0x8b:
        stack.push(signedLittleEndian(take(i32())));
        break;
      case 0x47: {
        need(8);
        pos += 8;
        stack.push(view.getFloat64(pos - 8, false));
        break;
      }
      case 0x58:
        stack.push(text(u32()));
        break;
      case 0x8c:
        stack.push(text(u8()));
        break;
      case 0x8d:
        stack.push(text(u64()));
        break;
      case 0x54: // Python 2 str: read as UTF-8, as torch.load does
        stack.push(text(i32()));
        break;
      case 0x55:
        stack.push(text(u8()));
        break;
      case 0x42:
        stack.push(new Uint8Array(take(u32())));
        break;
      case 0x43:
        stack.push(new Uint8Array(take(u8())));
        break;
      case 0x8e:
      case 0x96:
        stack.push(new Uint8Array(take(u64())));
        break;
      case 0x7d:
        stack.push(new Map());
        break;
      case 0x5d:
        stack.push([]);
        break;
      case 0x29:
        stack.push([]);
        break;
      case 0x8f:
        stack.push(new Set());
        break;
      case 0x90: {
        const items = popMark();
        const target = top();
        if (!(target instanceof Set)) fail(`adds items to ${kindOf(target)}, not a set`);
        for (const item of items) (target as Set<unknown>).add(item);
        break;
      }
      case 0x91:
        stack.push(new Set(popMark()));
        break;
      case 0x74:
        stack.push(popMark());
        break;
      case 0x85:
        stack.push([pop()]);
        break;
      case 0x86: {
        const second = pop();
        stack.push([pop(), second]);
        break;
      }
      case 0x87: {
        const third = pop();
        const second = pop();
        stack.push([pop(), second, third]);
        break;
      }
      case 0x6c:
        stack.push(popMark());
        break;
      case 0x64: {
        const map = new Map();
        setItems(map, popMark());
        stack.push(map);
        break;
      }
      case 0x61: {
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: {
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x73: {
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71:
        memo.set(u8(), top());
        break;
      case 0x72:
        memo.set(u32(), top());
        break;
      case 0x94:
        memo.set(memo.size, top());
        break;
      case 0x68:
      case 0x6a: {
        const index = opcode === 0x68 ? u8() : u32();
        if (!memo.has(index)) fail(`memo entry ${index} was never stored (corrupt pickle)`);
        stack.push(memo.get(index));
        break;
      }
      case 0x63: {
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          fail('a global whose module and name are not strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52:
        call(false);
        break;
      case 0x81:
        call(true);
        break;
      case 0x62: {
        const state = pop();
        const target = top();
        // An OrderedDict's state is its instance attributes (a state dict's `_metadata`, the
        // version of each module): PyTorch needs them, tensors do not.
        if (!(target instanceof Map) || !(state === null || state instanceof Map))
          fail(`sets the state of ${kindOf(target)}, which this reader does not build`);
        break;
      }
      case 0x51: {
        const pid = pop();
        const loaded = hooks.persistentLoad?.(pid);
        if (loaded === undefined) fail('a persistent id, which this pickle cannot hold');
        stack.push(loaded);
        break;
      }
      default:
        if (REFUSED_OPCODES[opcode] !== undefined) {
          fail(
            `this reader does not handle ${REFUSED_OPCODES[opcode]}, which state dicts do not use`,
          );
        }
        fail(
          `0x${opcode.toString(16).padStart(2, '0')} is not an opcode of the pickle protocols 2 ` +
            `to 5 that state dicts use (corrupt file, or not a pickle?)`,
        );
    }
  }
}

function opcodeName(opcode: number): string {
  const name = OPCODE_NAMES[opcode] ?? REFUSED_OPCODES[opcode]?.split(' ')[0];
  return name ?? `opcode 0x${opcode.toString(16).padStart(2, '0')}`;
}

/** A bigint as a number where it is exactly one. */
function toNumberIfSafe(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

/** What a value is, in words, for an error message. */
export function kindOf(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof PickleGlobal) return `the global '${value.qualifiedName}'`;
  if (value instanceof Map) return 'a dict';
  if (value instanceof Set) return 'a set';
  if (Array.isArray(value)) return `a tuple or list of ${value.length}`;
  if (value instanceof Uint8Array) return 'bytes';
  switch (typeof value) {
    case 'string':
      return `the string '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
    case 'number':
    case 'bigint':
      return `the number ${value}`;
    case 'boolean':
      return value ? 'True' : 'False';
    default:
      return 'an object';
  }
}
