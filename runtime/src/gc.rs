//! The garbage-collected heap: a block allocator with an allocation table, and mark-sweep.
//!
//! Corresponds to MicroPython's `py/gc.c`. The buffer given to the VM is split into an
//! allocation table (2 bits per block: free, head, tail, mark) and the blocks themselves
//! (`2 * size_of::<usize>()` bytes each). Allocation is next-fit from where the last one
//! ended, wrapping to a "first free block" hint; the search skips table words with no free
//! entry (32 blocks at a time), and the sweep works a table byte (4 blocks) at a time.
//! Collection marks from roots with a bounded explicit stack (no recursion); when the stack
//! overflows, marked blocks are rescanned until nothing new is found, as gc.c does.
//!
//! Where we differ from MicroPython:
//! - heap references are byte offsets from the start of the block area (block 0 is reserved
//!   so that offset 0 is the null object), and all access is bounds-checked safe Rust;
//! - every allocation starts with a header word ([`crate::obj::header`]); objects flagged
//!   `LEAF` (strings, floats, big-int digits) are not scanned;
//! - no finalisers, no multiple heap areas, no "long lived" segregation.

use crate::obj::{header, Obj, TypeId};

/// Bytes in a machine word.
pub const WORD: usize = core::mem::size_of::<usize>();
/// Bytes in a block (MicroPython's `MICROPY_BYTES_PER_GC_BLOCK`).
pub const BLOCK: usize = 2 * WORD;
/// Entries of the explicit mark stack (on the Rust stack during a collection; when it
/// overflows, marking goes on by rescanning the heap, so a short one only costs time: a
/// host's multi-megabyte heap wants a deep one, a microcontroller's stack a short one).
pub const MARK_STACK_LEN: usize = if usize::BITS >= 64 { 1024 } else { 16 };

const AT_FREE: u8 = 0;
const AT_HEAD: u8 = 1;
const AT_TAIL: u8 = 2;
const AT_MARK: u8 = 3;

/// Heap statistics.
#[derive(Clone, Copy, Default)]
#[cfg_attr(any(test, feature = "std"), derive(Debug))]
pub struct HeapStats {
    /// Bytes in the block area.
    pub total: usize,
    /// Bytes in allocated blocks.
    pub used: usize,
    /// Highest `used` seen.
    pub peak: usize,
    /// Collections run.
    pub collections: usize,
}

/// The heap over a caller-provided buffer.
pub struct Heap<'h> {
    /// The allocation table (2 bits per block, 4 blocks per byte).
    table: &'h mut [u8],
    /// The block area: `n_blocks * BLOCK` bytes, word-aligned.
    blocks: &'h mut [u8],
    n_blocks: usize,
    /// No free block below this one.
    first_free: usize,
    /// Where the next allocation search starts.
    next_fit: usize,
    /// Blocks known to be free: `[run_start, run_end)` (empty when `run_end <= run_start`).
    /// The free run the last search found; allocations that start at the frontier and fit
    /// in it take it without searching the table again. Sweeping and freeing only free
    /// blocks; the three ways of taking them (`alloc_raw`, `alloc_block`, growing in place)
    /// each keep it true.
    run_start: usize,
    run_end: usize,
    used_blocks: usize,
    peak_blocks: usize,
    collections: usize,
    /// Blocks allocated since the last collection.
    since_collect: usize,
    /// Collect after this many blocks have been allocated (0: only when the heap is full).
    threshold: usize,
}

/// Heaps of at least this many blocks collect after an eighth of them was allocated, not
/// only when full: collecting only when full lets the allocation frontier sweep the whole
/// heap between collections, so long-lived objects end up scattered over all of it and no
/// large free run is left (a dict's table of a few KB then fails in a 2 MB heap that is 95%
/// free). Small heaps (a microcontroller's) keep MicroPython's policy: collect when full.
const AUTO_THRESHOLD_MIN_BLOCKS: usize = 8192;

impl<'h> Heap<'h> {
    /// Lay out the table and blocks in `mem`. Returns `None` if fewer than 4 blocks fit.
    pub fn new(mem: &'h mut [u8]) -> Option<Heap<'h>> {
        // Align the start of the table to a word so block words are aligned in memory.
        let misalign = (mem.as_ptr() as usize) % WORD;
        let skip = if misalign == 0 { 0 } else { WORD - misalign };
        let mem = mem.get_mut(skip..)?;
        let total = mem.len();
        // Each block costs BLOCK bytes plus a quarter byte of table.
        let mut n_blocks = total * 4 / (BLOCK * 4 + 1);
        let mut area;
        loop {
            let table = n_blocks.div_ceil(4);
            area = table.div_ceil(WORD) * WORD;
            if area + n_blocks * BLOCK <= total || n_blocks == 0 {
                break;
            }
            n_blocks -= 1;
        }
        if n_blocks < 4 {
            return None;
        }
        let (table, rest) = mem.split_at_mut(area);
        table.fill(0);
        let blocks = rest.get_mut(..n_blocks * BLOCK)?;
        let mut heap = Heap {
            table,
            blocks,
            n_blocks,
            first_free: 1,
            next_fit: 1,
            run_start: 0,
            run_end: 0,
            used_blocks: 1,
            peak_blocks: 1,
            collections: 0,
            since_collect: 0,
            threshold: if n_blocks >= AUTO_THRESHOLD_MIN_BLOCKS {
                n_blocks / 8
            } else {
                0
            },
        };
        // Block 0 is reserved so that no object has offset 0 (the null object).
        heap.set_atb(0, AT_HEAD);
        Some(heap)
    }

    #[inline]
    fn atb(&self, block: usize) -> u8 {
        match self.table.get(block / 4) {
            Some(b) => (b >> (2 * (block & 3))) & 3,
            None => AT_FREE,
        }
    }

    #[inline]
    fn set_atb(&mut self, block: usize, kind: u8) {
        if let Some(b) = self.table.get_mut(block / 4) {
            let shift = 2 * (block & 3);
            *b = (*b & !(3 << shift)) | (kind << shift);
        }
    }

    /// Number of blocks.
    pub fn n_blocks(&self) -> usize {
        self.n_blocks
    }

    /// Read the word at byte offset `off` of the block area (0 outside the heap). `off`
    /// is word-aligned (every object is): an unaligned one reads the word holding it.
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    #[cfg_attr(not(target_pointer_width = "32"), inline)]
    pub fn rd(&self, off: usize) -> usize {
        // Whole words: one bounds check, no alignment fix-up.
        let (words, _) = self.blocks.as_chunks::<WORD>();
        match words.get(off / WORD) {
            Some(w) => usize::from_ne_bytes(*w),
            None => 0,
        }
    }

    /// Write the word at byte offset `off` of the block area (ignored outside the heap;
    /// word-aligned, as [`Heap::rd`]).
    #[cfg_attr(target_pointer_width = "32", inline(never))]
    #[cfg_attr(not(target_pointer_width = "32"), inline)]
    pub fn wr(&mut self, off: usize, v: usize) {
        let (words, _) = self.blocks.as_chunks_mut::<WORD>();
        if let Some(w) = words.get_mut(off / WORD) {
            *w = v.to_ne_bytes();
        }
    }

    /// The word with index `w` of the block area (0 outside the heap): [`Heap::rd`] of
    /// byte offset `w * WORD`, for a caller that keeps an object's word index (the
    /// dispatch loop, for the executing frame).
    #[cfg(target_pointer_width = "64")]
    #[inline]
    pub fn word(&self, w: usize) -> usize {
        let (words, _) = self.blocks.as_chunks::<WORD>();
        match words.get(w) {
            Some(w) => usize::from_ne_bytes(*w),
            None => 0,
        }
    }

    /// Write the word with index `w` of the block area (ignored outside the heap; as
    /// [`Heap::word`]).
    #[cfg(target_pointer_width = "64")]
    #[inline]
    pub fn set_word(&mut self, w: usize, v: usize) {
        let (words, _) = self.blocks.as_chunks_mut::<WORD>();
        if let Some(w) = words.get_mut(w) {
            *w = v.to_ne_bytes();
        }
    }

    /// Word `i` of heap object `o`.
    #[inline]
    pub fn get(&self, o: Obj, i: usize) -> usize {
        self.rd(o.offset() + i * WORD)
    }

    /// Set word `i` of heap object `o`.
    #[inline]
    pub fn set(&mut self, o: Obj, i: usize, v: usize) {
        self.wr(o.offset() + i * WORD, v)
    }

    /// Word `i` of heap object `o`, as an object.
    #[inline]
    pub fn get_obj(&self, o: Obj, i: usize) -> Obj {
        Obj(self.get(o, i))
    }

    /// Set word `i` of heap object `o` to an object.
    #[inline]
    pub fn set_obj(&mut self, o: Obj, i: usize, v: Obj) {
        self.set(o, i, v.0)
    }

    /// Word `i` of `o`, stored as a tagged small int (see [`Heap::set_int`]).
    #[inline]
    pub fn get_int(&self, o: Obj, i: usize) -> usize {
        self.get(o, i) >> 1
    }

    /// Store a non-negative integer field tagged as a small int, so conservative scanning
    /// never takes it for a reference.
    #[inline]
    pub fn set_int(&mut self, o: Obj, i: usize, v: usize) {
        self.set(o, i, v << 1 | 1)
    }

    /// Words `0..N` of heap object `o` (`None` unless all are in the heap): several fields
    /// of one object for one bounds check.
    #[inline]
    pub fn fields<const N: usize>(&self, o: Obj) -> Option<&[[u8; WORD]; N]> {
        let (words, _) = self.blocks.as_chunks::<WORD>();
        words.get(o.offset() / WORD..)?.first_chunk::<N>()
    }

    /// Words `0..N` of heap object `o`, writable (as [`Heap::fields`]).
    #[inline]
    pub fn fields_mut<const N: usize>(&mut self, o: Obj) -> Option<&mut [[u8; WORD]; N]> {
        let (words, _) = self.blocks.as_chunks_mut::<WORD>();
        words.get_mut(o.offset() / WORD..)?.first_chunk_mut::<N>()
    }

    /// The byte at `off` of the block area.
    #[inline]
    pub fn byte(&self, off: usize) -> Option<u8> {
        self.blocks.get(off).copied()
    }

    /// `len` bytes of the block area at `off` (empty if out of range).
    #[inline]
    pub fn bytes(&self, off: usize, len: usize) -> &[u8] {
        self.blocks.get(off..off.wrapping_add(len)).unwrap_or(&[])
    }

    /// Mutable `len` bytes at `off` (empty if out of range).
    #[inline]
    pub fn bytes_mut(&mut self, off: usize, len: usize) -> &mut [u8] {
        self.blocks
            .get_mut(off..off.wrapping_add(len))
            .unwrap_or(&mut [])
    }

    /// Copy `len` bytes inside the block area (ranges may overlap; ignored if out of range).
    pub fn copy_within(&mut self, src: usize, dst: usize, len: usize) {
        let n = self.blocks.len();
        if src <= n && len <= n - src && dst <= n && len <= n - dst {
            self.blocks.copy_within(src..src + len, dst);
        }
    }

    /// Header word of heap object `o`.
    #[inline]
    pub fn header(&self, o: Obj) -> usize {
        self.get(o, 0)
    }

    /// Type id in the header of heap object `o`.
    #[inline]
    pub fn tid(&self, o: Obj) -> TypeId {
        header::tid(self.get(o, 0))
    }

    /// Table entries 32 blocks at a time: the 64-bit table word holding blocks
    /// `32 * i .. 32 * i + 32` (0 past the end of the table).
    #[inline]
    fn table_word(&self, i: usize) -> u64 {
        match self.table.get(8 * i..8 * i + 8) {
            Some(s) => {
                let mut b = [0u8; 8];
                b.copy_from_slice(s);
                u64::from_le_bytes(b)
            }
            None => 0,
        }
    }

    /// Entries `ENTRIES * i ..` of the table as one machine word (the table's length is a
    /// multiple of the word size; entries past it read as free).
    #[inline]
    fn table_entries(&self, i: usize) -> usize {
        match self.table.get(WORD * i..WORD * i + WORD) {
            Some(s) => {
                let mut b = [0u8; WORD];
                b.copy_from_slice(s);
                usize::from_le_bytes(b)
            }
            None => 0,
        }
    }

    /// Find `n` free blocks in `[from, to)`: the first block of the lowest run.
    ///
    /// A table word (`ENTRIES` entries) at a time: its free entries as a mask (bit `2k` for
    /// entry `k`), narrowed to `[from, to)`; a run inside the word is a bit that survives
    /// ANDing the mask with itself shifted by 1, 2, 4 ... entries (log2 `n` steps); a run
    /// that crosses into the word continues the free entries at the top of the words before.
    fn find_run(&self, from: usize, to: usize, n: usize) -> Option<usize> {
        if n == 0 || from >= to {
            return None;
        }
        // Free entries just below the current word, part of a run that may end in it
        // (always fewer than n).
        let mut carry = 0usize;
        for j in from / ENTRIES..=(to - 1) / ENTRIES {
            let base = j * ENTRIES;
            let w = self.table_entries(j);
            let mut free = !(w | (w >> 1)) & LO_ENTRIES;
            if from > base {
                free &= LO_ENTRIES << (2 * (from - base));
            }
            if to < base + ENTRIES {
                free &= !(LO_ENTRIES << (2 * (to - base)));
            }
            if free == 0 {
                carry = 0;
                continue;
            }
            if carry > 0 {
                let need = n - carry;
                if need <= ENTRIES {
                    let low = if need == ENTRIES {
                        LO_ENTRIES
                    } else {
                        LO_ENTRIES & ((1usize << (2 * need)) - 1)
                    };
                    if free & low == low {
                        return Some(base - carry);
                    }
                }
            }
            if n <= ENTRIES {
                let (mut runs, mut len) = (free, 1);
                while len < n {
                    let k = len.min(n - len);
                    runs &= runs >> (2 * k);
                    len += k;
                }
                if runs != 0 {
                    return Some(base + (runs.trailing_zeros() / 2) as usize);
                }
            }
            carry = if free == LO_ENTRIES {
                carry + ENTRIES
            } else {
                // The top bit is never in the mask: 1 + 2 * (free entries at the top).
                ((!free & LO_ENTRIES).leading_zeros() as usize - 1) / 2
            };
        }
        None
    }

    /// The end of the free run that starts at free block `start`: the first block after it
    /// that is not free (or the end of the heap).
    fn free_run_end(&self, start: usize) -> usize {
        let mut j = start / ENTRIES;
        let mut above = LO_ENTRIES << (2 * (start % ENTRIES));
        while j * ENTRIES < self.n_blocks {
            let w = self.table_entries(j);
            let used = (w | (w >> 1)) & above;
            if used != 0 {
                let end = j * ENTRIES + (used.trailing_zeros() / 2) as usize;
                return end.min(self.n_blocks);
            }
            j += 1;
            above = LO_ENTRIES;
        }
        self.n_blocks
    }

    /// Allocate `n_bytes` (zeroed), without collecting. Returns the byte offset.
    ///
    /// Next fit: search from where the last allocation ended, then wrap around to the
    /// lowest free block (a first-fit scan from the bottom every time is quadratic when
    /// small holes pile up below the allocation frontier).
    pub fn alloc_raw(&mut self, n_bytes: usize) -> Option<usize> {
        let n = n_bytes.max(1).div_ceil(BLOCK);
        let from = self.next_fit.max(self.first_free);
        let start = if from >= self.run_start && from + n <= self.run_end {
            // The commonest case: the blocks at the frontier are in the free run found last.
            self.run_start = from + n;
            from
        } else if n == 1 && from < self.n_blocks && self.atb(from) == AT_FREE {
            // A float, a small tuple: the next block is free (and not in the free run: it
            // would have been taken above).
            from
        } else {
            let s = match self.find_run(from, self.n_blocks, n) {
                Some(s) => s,
                None => {
                    let to = (from + n).min(self.n_blocks);
                    self.find_run(self.first_free, to, n)?
                }
            };
            self.run_start = s + n;
            self.run_end = self.free_run_end(s);
            s
        };
        self.set_atb(start, AT_HEAD);
        for t in start + 1..start + n {
            self.set_atb(t, AT_TAIL);
        }
        if start == self.first_free {
            self.first_free = start + n;
        }
        self.next_fit = start + n;
        self.used_blocks += n;
        self.since_collect += n;
        self.peak_blocks = self.peak_blocks.max(self.used_blocks);
        let off = start * BLOCK;
        if n <= 2 {
            // Small objects (most of them): a few word stores beat a memset call.
            for i in 0..n * BLOCK / WORD {
                self.wr(off + i * WORD, 0);
            }
        } else {
            self.bytes_mut(off, n * BLOCK).fill(0);
        }
        Some(off)
    }

    /// A one-block object with words `w0` (the header) and `w1`, when the block where the
    /// next-fit search would start is free (the commonest allocation: a float, a small
    /// tuple): what [`Heap::alloc_raw`] then does, without the search. `None`: it is not
    /// free (nothing done).
    #[inline(always)]
    pub fn alloc_block(&mut self, w0: usize, w1: usize) -> Option<Obj> {
        const _: () = assert!(BLOCK == 2 * WORD);
        let b = self.next_fit.max(self.first_free);
        if b >= self.n_blocks {
            return None;
        }
        let e = self.table.get_mut(b / 4)?;
        let shift = 2 * (b & 3);
        if (*e >> shift) & 3 != AT_FREE {
            return None;
        }
        *e |= AT_HEAD << shift;
        if b == self.first_free {
            self.first_free = b + 1;
        }
        if b >= self.run_start && b < self.run_end {
            // Taken from the remembered free run: it now starts after this block.
            self.run_start = b + 1;
        }
        self.next_fit = b + 1;
        self.used_blocks += 1;
        self.since_collect += 1;
        self.peak_blocks = self.peak_blocks.max(self.used_blocks);
        let o = Obj::from_offset(b * BLOCK);
        self.set(o, 0, w0);
        self.set(o, 1, w1);
        Some(o)
    }

    /// An object of `n` blocks (2 to 8) with header word `w0` and the rest zeroed, when the
    /// blocks where the next-fit search would start are in the remembered free run (the
    /// commonest allocation of a tuple, a str, an instance, a small dict's table): what
    /// [`Heap::alloc_raw`] then does, with the table entries set by up to three byte
    /// stores. `None`: they are not (nothing done).
    #[inline(always)]
    pub fn alloc_run(&mut self, n: usize, w0: usize) -> Option<Obj> {
        const _: () = assert!(BLOCK == 2 * WORD && AT_FREE == 0);
        let b = self.next_fit.max(self.first_free);
        if !(2..=8).contains(&n) || b < self.run_start || b + n > self.run_end {
            return None;
        }
        let (words, _) = self.blocks.as_chunks_mut::<WORD>();
        let w = words.get_mut(2 * b..2 * (b + n))?;
        let (first, rest) = w.split_first_chunk_mut::<4>()?;
        *first = [w0.to_ne_bytes(), [0; WORD], [0; WORD], [0; WORD]];
        for x in rest {
            *x = [0; WORD];
        }
        // Entries: a head, then n - 1 tails; the run's entries are AT_FREE (0), so OR them in.
        // (The table has entries up to `run_end`: no store below can fail.)
        let mut bits = ((0xaaaa & ((1u32 << (2 * n)) - 1) & !3) | AT_HEAD as u32) << (2 * (b & 3));
        let mut i = b / 4;
        while bits != 0 {
            *self.table.get_mut(i)? |= bits as u8;
            bits >>= 8;
            i += 1;
        }
        if b == self.first_free {
            self.first_free = b + n;
        }
        self.run_start = b + n;
        self.next_fit = b + n;
        self.used_blocks += n;
        self.since_collect += n;
        self.peak_blocks = self.peak_blocks.max(self.used_blocks);
        Some(Obj::from_offset(b * BLOCK))
    }

    /// Allocate an object of `n_words` words (header included) and write its header.
    pub fn alloc_obj(&mut self, tid: TypeId, flags: usize, n_words: usize) -> Option<Obj> {
        let off = self.alloc_raw(n_words * WORD)?;
        let o = Obj::from_offset(off);
        self.set(o, 0, header::make(tid, flags));
        Some(o)
    }

    /// Number of blocks of the allocation starting at `block` (a head).
    fn alloc_blocks(&self, block: usize) -> usize {
        let mut n = 1;
        while block + n < self.n_blocks && self.atb(block + n) == AT_TAIL {
            n += 1;
        }
        n
    }

    /// Size in bytes of the allocation holding heap object `o` (0 if `o` is not a head).
    pub fn alloc_size(&self, o: Obj) -> usize {
        let b = o.offset() / BLOCK;
        if !o.is_heap() || !o.offset().is_multiple_of(BLOCK) || b >= self.n_blocks {
            return 0;
        }
        match self.atb(b) {
            AT_HEAD | AT_MARK => self.alloc_blocks(b) * BLOCK,
            _ => 0,
        }
    }

    /// Free an allocation now (the caller guarantees nothing references it).
    pub fn free(&mut self, o: Obj) {
        let b = o.offset() / BLOCK;
        if !o.is_heap() || !o.offset().is_multiple_of(BLOCK) || b == 0 || b >= self.n_blocks {
            return;
        }
        if self.atb(b) != AT_HEAD {
            return;
        }
        let n = self.alloc_blocks(b);
        for i in b..b + n {
            self.set_atb(i, AT_FREE);
        }
        self.used_blocks -= n;
        self.first_free = self.first_free.min(b);
    }

    /// Try to grow or shrink an allocation in place to `n_bytes`; true on success.
    pub fn resize_in_place(&mut self, o: Obj, n_bytes: usize) -> bool {
        let b = o.offset() / BLOCK;
        if !o.is_heap() || b == 0 || b >= self.n_blocks || self.atb(b) != AT_HEAD {
            return false;
        }
        let have = self.alloc_blocks(b);
        let want = n_bytes.max(1).div_ceil(BLOCK);
        if want <= have {
            for i in b + want..b + have {
                self.set_atb(i, AT_FREE);
            }
            self.used_blocks -= have - want;
            self.first_free = self.first_free.min(b + want);
            return true;
        }
        if b + want > self.n_blocks {
            return false;
        }
        if (b + have..b + want).any(|i| self.atb(i) != AT_FREE) {
            return false;
        }
        for i in b + have..b + want {
            self.set_atb(i, AT_TAIL);
        }
        if b + have < self.run_end && b + want > self.run_start {
            // The blocks taken were in the free run: forget it.
            self.run_end = self.run_start;
        }
        self.used_blocks += want - have;
        self.peak_blocks = self.peak_blocks.max(self.used_blocks);
        self.bytes_mut((b + have) * BLOCK, (want - have) * BLOCK)
            .fill(0);
        if self.first_free >= b + have && self.first_free < b + want {
            self.first_free = b + want;
        }
        true
    }

    /// Whether `w` is a reference to the head of an allocation.
    #[inline]
    fn head_of(&self, w: usize) -> Option<usize> {
        if w & 7 != 0 || w == 0 || !w.is_multiple_of(BLOCK) {
            return None;
        }
        let b = w / BLOCK;
        if b < self.n_blocks && self.atb(b) == AT_HEAD {
            Some(b)
        } else {
            None
        }
    }

    /// Start a collection (nothing is marked yet). The marker lives in the caller's frame
    /// and is passed by reference from here on: copies of it would cost stack at the
    /// deepest point of a program (an allocation that collects).
    #[inline(always)]
    pub fn begin_collect(&mut self) -> Marker {
        Marker {
            stack: [0; MARK_STACK_LEN],
            sp: 0,
            overflow: false,
        }
    }

    /// Mark a root and everything reachable from it.
    pub fn mark_root(&mut self, m: &mut Marker, root: Obj) {
        if let Some(b) = self.head_of(root.0) {
            self.set_atb(b, AT_MARK);
            self.push_mark(m, b);
            self.drain(m);
        }
    }

    fn push_mark(&mut self, m: &mut Marker, b: usize) {
        if m.sp < MARK_STACK_LEN {
            m.stack[m.sp] = b;
            m.sp += 1;
        } else {
            m.overflow = true;
        }
    }

    /// Scan the children of marked block `b`.
    fn scan(&mut self, m: &mut Marker, b: usize) {
        let off = b * BLOCK;
        let h = self.rd(off);
        if header::flags(h) & header::LEAF != 0 && h & 1 == 1 {
            return;
        }
        let n_words = self.alloc_blocks(b) * BLOCK / WORD;
        for i in 1..n_words {
            let w = self.rd(off + i * WORD);
            if let Some(c) = self.head_of(w) {
                self.set_atb(c, AT_MARK);
                self.push_mark(m, c);
            }
        }
    }

    fn drain(&mut self, m: &mut Marker) {
        while m.sp > 0 {
            m.sp -= 1;
            let b = m.stack[m.sp];
            self.scan(m, b);
        }
    }

    /// Finish marking (deal with mark-stack overflow), then sweep. Returns blocks freed.
    pub fn finish_collect(&mut self, m: &mut Marker) -> usize {
        while m.overflow {
            m.overflow = false;
            // Rescan the marked blocks, a table word at a time (most words have none).
            for i in 0..self.n_blocks.div_ceil(32) {
                let w = self.table_word(i);
                let mut marks = w & (w >> 1) & LO_BITS;
                while marks != 0 {
                    let b = 32 * i + (marks.trailing_zeros() / 2) as usize;
                    marks &= marks - 1;
                    self.scan(m, b);
                    self.drain(m);
                }
            }
            // The table's last bytes, when it does not end on a whole word.
            for b in 32 * (self.table.len() / 8)..self.n_blocks {
                if self.atb(b) == AT_MARK {
                    self.scan(m, b);
                    self.drain(m);
                }
            }
        }
        // Sweep, a table word (32 blocks) at a time, then the bytes after the last word.
        let mut freed = 0;
        let mut first_free = None;
        // Inside an unmarked allocation: its tail blocks are freed too.
        let mut freeing = false;
        let n_words = self.table.len() / 8;
        for i in 0..n_words {
            let w = self.table_word(i);
            if w == 0 {
                // 32 free blocks (or past the last block): ends an allocation.
                freeing = false;
                first_free.get_or_insert(32 * i);
                continue;
            }
            let (out, n, cleared) = sweep_word(w, freeing, i == 0);
            freed += n;
            freeing = cleared >> 62 != 0;
            let free = !(out | out >> 1) & LO_BITS;
            if free != 0 {
                first_free.get_or_insert(32 * i + (free.trailing_zeros() / 2) as usize);
            }
            if out != w {
                if let Some(s) = self.table.get_mut(8 * i..8 * i + 8) {
                    s.copy_from_slice(&out.to_le_bytes());
                }
            }
        }
        for i in 8 * n_words..self.table.len() {
            let Some(&byte) = self.table.get(i) else {
                break;
            };
            let (out, n, cleared) = sweep_word(u64::from(byte), freeing, i == 0);
            freed += n;
            freeing = cleared >> 6 & 1 != 0;
            let free = !(out | out >> 1) & 0x55;
            if free != 0 {
                first_free.get_or_insert(4 * i + (free.trailing_zeros() / 2) as usize);
            }
            if let Some(slot) = self.table.get_mut(i) {
                *slot = out as u8;
            }
        }
        let first_free = first_free.map(|b| b.min(self.n_blocks));
        // Block 0 stays reserved.
        self.set_atb(0, AT_HEAD);
        self.used_blocks -= freed;
        self.first_free = first_free.unwrap_or(self.n_blocks);
        self.next_fit = self.first_free;
        self.collections += 1;
        self.since_collect = 0;
        freed
    }

    /// Whether enough was allocated since the last collection to collect before the next
    /// allocation (see [`Heap::set_threshold`]).
    #[inline]
    pub fn wants_collect(&self) -> bool {
        self.threshold != 0 && self.since_collect >= self.threshold
    }

    /// Collect after `bytes` have been allocated (`None`: only when the heap is full), as
    /// MicroPython's `gc.threshold()`.
    pub fn set_threshold(&mut self, bytes: Option<usize>) {
        self.threshold = bytes.map_or(0, |b| b.div_ceil(BLOCK).max(1));
    }

    /// The threshold in bytes (`None`: only when full).
    pub fn threshold(&self) -> Option<usize> {
        (self.threshold != 0).then_some(self.threshold * BLOCK)
    }

    /// Current statistics.
    pub fn stats(&self) -> HeapStats {
        HeapStats {
            total: self.n_blocks * BLOCK,
            used: self.used_blocks * BLOCK,
            peak: self.peak_blocks * BLOCK,
            collections: self.collections,
        }
    }
}

/// Bit 2k of a table word: the low bit of entry k.
const LO_BITS: u64 = 0x5555_5555_5555_5555;
/// Table entries in a machine word, and the low bit of each of them.
const ENTRIES: usize = 4 * WORD;
const LO_ENTRIES: usize = usize::MAX / 3;

/// Sweep one table word (32 entries, entry k in bits 2k..2k+2): unmarked heads and the
/// tails that follow them (also leading tails when `freeing`: the allocation began in an
/// earlier word) become free, marks become heads. Returns the new word, the blocks freed
/// and the mask of freed entries (when the last entry was freed, the next word's leading
/// tails are freed too). `first`: this word holds the reserved block 0, which is left alone.
///
/// All 32 entries at once: a run of tails is a run of ones in `tt` (both bits of each
/// tail entry), and adding a one at the run's first bit (the entry after a freed head)
/// carries through exactly that run, clearing it.
#[inline]
fn sweep_word(w: u64, freeing: bool, first: bool) -> (u64, usize, u64) {
    let lo = w & LO_BITS;
    let hi = (w >> 1) & LO_BITS;
    let mut heads = lo & !hi;
    if first {
        heads &= !1;
    }
    let marks = lo & hi;
    let tails = hi & !lo;
    let tt = tails | tails << 1;
    let carry = heads << 2 | u64::from(freeing);
    let freed_tails = tt & !tt.wrapping_add(carry);
    let cleared = freed_tails | heads | heads << 1;
    let out = w & !(cleared | marks << 1);
    let n = (heads.count_ones() + freed_tails.count_ones() / 2) as usize;
    (out, n, cleared)
}

/// State of a collection in progress.
pub struct Marker {
    stack: [usize; MARK_STACK_LEN],
    sp: usize,
    overflow: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec;

    /// Pseudo-random numbers from `seed`: each call gives one below its argument.
    fn numbers(mut seed: u32) -> impl FnMut(u32) -> u32 {
        move |m| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 8) % m
        }
    }

    /// The first run of `n` free blocks in `[from, to)`, block by block.
    fn naive_run(h: &Heap, from: usize, to: usize, n: usize) -> Option<usize> {
        let mut run = 0;
        for b in from..to {
            if h.atb(b) == AT_FREE {
                run += 1;
                if run == n {
                    return Some(b + 1 - n);
                }
            } else {
                run = 0;
            }
        }
        None
    }

    fn collect(h: &mut Heap, roots: &[Obj]) -> usize {
        let mut m = h.begin_collect();
        for &r in roots {
            h.mark_root(&mut m, r);
        }
        h.finish_collect(&mut m)
    }

    #[test]
    fn alloc_and_collect() {
        let mut buf = vec![0u8; 4096];
        let mut h = Heap::new(&mut buf).unwrap();
        let a = h.alloc_obj(TypeId::TUPLE, 0, 4).unwrap();
        let b = h.alloc_obj(TypeId::TUPLE, 0, 4).unwrap();
        let c = h.alloc_obj(TypeId::TUPLE, 0, 4).unwrap();
        assert!(a.is_heap() && b.is_heap() && a != b);
        // a -> b; c unreachable.
        h.set_obj(a, 1, b);
        let used = h.stats().used;
        let freed = collect(&mut h, &[a]);
        assert_eq!(freed * BLOCK, 4 * WORD / BLOCK * BLOCK);
        assert!(h.stats().used < used);
        assert_eq!(h.alloc_size(b), 4 * WORD);
        assert_eq!(h.alloc_size(c), 0);
        // c's blocks are reused.
        let d = h.alloc_obj(TypeId::TUPLE, 0, 4).unwrap();
        assert_eq!(d, c);
    }

    #[test]
    fn cycles_are_collected() {
        let mut buf = vec![0u8; 4096];
        let mut h = Heap::new(&mut buf).unwrap();
        let base = h.stats().used;
        let a = h.alloc_obj(TypeId::LIST, 0, 2).unwrap();
        let b = h.alloc_obj(TypeId::LIST, 0, 2).unwrap();
        h.set_obj(a, 1, b);
        h.set_obj(b, 1, a);
        collect(&mut h, &[a]);
        assert_eq!(h.alloc_size(b), 2 * WORD);
        collect(&mut h, &[]);
        assert_eq!(h.stats().used, base);
    }

    #[test]
    fn leaf_objects_are_not_scanned() {
        let mut buf = vec![0u8; 4096];
        let mut h = Heap::new(&mut buf).unwrap();
        let s = h.alloc_obj(TypeId::STR, header::LEAF, 4).unwrap();
        let t = h.alloc_obj(TypeId::TUPLE, 0, 2).unwrap();
        // A word inside the leaf that looks like a reference to t.
        h.set_obj(s, 2, t);
        collect(&mut h, &[s]);
        assert_eq!(h.alloc_size(t), 0);
    }

    #[test]
    fn long_chains_overflow_the_mark_stack() {
        let mut buf = vec![0u8; 256 * 1024];
        let mut h = Heap::new(&mut buf).unwrap();
        // A node with many children, each with a child: more than the mark stack holds.
        let n = 3 * MARK_STACK_LEN;
        let root = h.alloc_obj(TypeId::TUPLE, 0, n + 1).unwrap();
        for i in 0..n {
            let c = h.alloc_obj(TypeId::TUPLE, 0, 2).unwrap();
            let g = h.alloc_obj(TypeId::TUPLE, 0, 2).unwrap();
            h.set_obj(c, 1, g);
            h.set_obj(root, i + 1, c);
        }
        let used = h.stats().used;
        assert_eq!(collect(&mut h, &[root]), 0);
        assert_eq!(h.stats().used, used);
        collect(&mut h, &[]);
        assert_eq!(h.stats().used, BLOCK);
    }

    #[test]
    fn exhaustion_and_resize() {
        let mut buf = vec![0u8; 1024];
        let mut h = Heap::new(&mut buf).unwrap();
        let mut n = 0;
        while h.alloc_raw(BLOCK).is_some() {
            n += 1;
        }
        assert_eq!(n + 1, h.n_blocks());
        collect(&mut h, &[]);
        let a = h.alloc_obj(TypeId::ARRAY, 0, 2).unwrap();
        assert!(h.resize_in_place(a, 6 * WORD));
        assert_eq!(h.alloc_size(a), 6 * WORD);
        assert!(h.resize_in_place(a, WORD));
        h.free(a);
        assert_eq!(h.stats().used, BLOCK);
    }

    /// The word-skipping search and the byte-wise sweep agree with a block-by-block
    /// reading of the table on a fragmented heap.
    #[test]
    fn find_run_and_sweep_match_a_naive_scan() {
        let mut buf = vec![0u8; 32 * 1024];
        let mut h = Heap::new(&mut buf).unwrap();
        // A deterministic mix of sizes; every third object stays reachable.
        let mut seed = 12345u32;
        let mut keep = std::vec::Vec::new();
        while let Some(off) = h.alloc_raw((1 + (seed >> 16) as usize % 5) * BLOCK) {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let o = Obj::from_offset(off);
            h.set(o, 0, header::make(TypeId::TUPLE, 0));
            if seed.is_multiple_of(3) {
                keep.push(o);
            }
        }
        let used_before = h.stats().used;
        let freed = collect(&mut h, &keep);
        let live: usize = keep.iter().map(|&o| h.alloc_size(o)).sum();
        assert_eq!(h.stats().used, live + BLOCK);
        assert_eq!(used_before - freed * BLOCK, h.stats().used);
        for &o in &keep {
            assert_eq!(h.atb(o.offset() / BLOCK), AT_HEAD);
        }
        for n in 1..40 {
            let naive = naive_run(&h, 1, h.n_blocks(), n);
            assert_eq!(h.find_run(1, h.n_blocks(), n), naive, "run of {n}");
        }
    }

    /// The word-at-a-time run search agrees with a block-by-block one on random tables,
    /// for runs shorter and longer than a table word and any `[from, to)`.
    #[test]
    fn find_run_matches_a_naive_search_on_random_tables() {
        let mut next = numbers(0x2545_f491u32);
        for round in 0..300 {
            let mut buf = vec![0u8; 256 + 64 * next(40) as usize];
            let mut h = Heap::new(&mut buf).unwrap();
            let nb = h.n_blocks();
            // Free stretches and used stretches of random lengths (long free ones too).
            let mut b = 1;
            let dense = next(4);
            while b < nb {
                let used = next(if dense == 0 { 3 } else { 6 }) as usize;
                for k in b..(b + used).min(nb) {
                    h.set_atb(k, if k == b { AT_HEAD } else { AT_TAIL });
                }
                b += used + next(if round % 2 == 0 { 8 } else { 70 }) as usize;
            }
            for _ in 0..40 {
                let from = next(nb as u32) as usize;
                let to = from + next((nb - from) as u32 + 1) as usize;
                let long = next(3) == 0;
                let n = 1 + next(if long { 100 } else { 12 }) as usize;
                assert_eq!(
                    h.find_run(from, to, n),
                    naive_run(&h, from, to, n),
                    "round {round}: run of {n} in [{from}, {to}) of {nb}"
                );
            }
        }
    }

    /// Allocation (with its remembered free run), freeing, growing and shrinking in place
    /// and collecting, in random order: every allocation lands where a block-by-block
    /// next-fit search puts it.
    #[test]
    fn allocation_places_like_a_naive_next_fit() {
        let mut next = numbers(0x1234_5678u32);
        let mut buf = vec![0u8; 24 * 1024];
        let mut h = Heap::new(&mut buf).unwrap();
        let mut live: std::vec::Vec<Obj> = std::vec::Vec::new();
        for step in 0..20_000 {
            match next(12) {
                0..=5 => {
                    let long = next(8) == 0;
                    let n = 1 + next(if long { 80 } else { 6 }) as usize;
                    let from = h.next_fit.max(h.first_free);
                    let expected = naive_run(&h, from, h.n_blocks(), n)
                        .or_else(|| naive_run(&h, h.first_free, (from + n).min(h.n_blocks()), n));
                    let got = h.alloc_raw(n * BLOCK).map(|off| off / BLOCK);
                    assert_eq!(got, expected, "step {step}: {n} blocks from {from}");
                    if let Some(b) = got {
                        let o = Obj::from_offset(b * BLOCK);
                        h.set(o, 0, header::make(TypeId::TUPLE, 0));
                        live.push(o);
                    }
                }
                9 => {
                    // A one-block object by the search-free path, where it applies.
                    let from = h.next_fit.max(h.first_free);
                    let expected = naive_run(&h, from, (from + 1).min(h.n_blocks()), 1);
                    let got = h.alloc_block(header::make(TypeId::TUPLE, 0), 0);
                    assert_eq!(got.map(|o| o.offset() / BLOCK), expected, "step {step}");
                    live.extend(got);
                }
                10 => {
                    // A 2-8 block object by the run path, where it applies: the same place
                    // as the naive search, the head and tails in the table, zeroed words.
                    let n = 2 + next(7) as usize;
                    let from = h.next_fit.max(h.first_free);
                    let expected = naive_run(&h, from, h.n_blocks(), n)
                        .or_else(|| naive_run(&h, h.first_free, (from + n).min(h.n_blocks()), n));
                    let w0 = header::make(TypeId::TUPLE, 0);
                    if let Some(o) = h.alloc_run(n, w0) {
                        assert_eq!(Some(o.offset() / BLOCK), expected, "step {step}");
                        assert_eq!(h.alloc_size(o), n * BLOCK, "step {step}");
                        assert_eq!(h.get(o, 0), w0);
                        assert!((1..2 * n).all(|i| h.get(o, i) == 0), "step {step}");
                        // Junk for the next object that reuses these blocks.
                        (1..2 * n).for_each(|i| h.set(o, i, 0x5a5a_5a5a));
                        live.push(o);
                    }
                }
                6 if !live.is_empty() => {
                    let i = next(live.len() as u32) as usize;
                    let o = live.swap_remove(i);
                    h.free(o);
                }
                7 if !live.is_empty() => {
                    let (i, n) = (next(live.len() as u32) as usize, 1 + next(12) as usize);
                    let _ = h.resize_in_place(live[i], n * BLOCK);
                }
                8 => {
                    // Keep about half of the objects.
                    live.retain(|_| next(2) == 0);
                    let keep = live.clone();
                    collect(&mut h, &keep);
                }
                _ => {}
            }
        }
    }

    /// One-block objects taken from the front of the remembered free run move its start:
    /// when a collection then frees one of them, an allocation there must not run over the
    /// next one, which is still live.
    #[test]
    fn one_block_allocations_keep_the_free_run_true() {
        let mut buf = vec![0u8; 4096];
        let mut h = Heap::new(&mut buf).unwrap();
        let tuple = header::make(TypeId::TUPLE, 0);
        // A search finds the free run after block 0 and remembers it.
        let a = Obj::from_offset(h.alloc_raw(2 * BLOCK).unwrap());
        h.set(a, 0, tuple);
        let b: std::vec::Vec<Obj> = (0..3).map(|_| h.alloc_block(tuple, 0).unwrap()).collect();
        // The collection frees b[1] only.
        collect(&mut h, &[a, b[0], b[2]]);
        let c = h.alloc_raw(2 * BLOCK).unwrap() / BLOCK;
        let live = b[2].offset() / BLOCK;
        assert!(
            c + 2 <= live || c > live,
            "{c} runs over the live block {live}"
        );
    }

    /// The 32-entries-at-once sweep of a table word agrees with an entry-by-entry sweep.
    #[test]
    fn sweep_word_matches_entry_by_entry() {
        let naive = |w: u64, mut freeing: bool, first: bool| {
            let mut out = w;
            let mut n = 0;
            for k in 0..32 {
                let e = (w >> (2 * k)) & 3;
                match e as u8 {
                    AT_MARK => {
                        out &= !(2 << (2 * k));
                        freeing = false;
                    }
                    AT_HEAD if first && k == 0 => freeing = false,
                    AT_HEAD => {
                        out &= !(3 << (2 * k));
                        n += 1;
                        freeing = true;
                    }
                    AT_TAIL => {
                        if freeing {
                            out &= !(3 << (2 * k));
                            n += 1;
                        }
                    }
                    _ => freeing = false,
                }
            }
            (out, n, freeing)
        };
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Bias towards tails so that long runs occur.
            let w = if i % 2 == 0 {
                seed
            } else {
                seed | 0xaaaa_aaaa_aaaa_aaaa & (seed >> 3)
            };
            for freeing in [false, true] {
                for first in [false, true] {
                    let (out, n, cleared) = sweep_word(w, freeing, first);
                    assert_eq!(
                        (out, n, cleared >> 62 != 0),
                        naive(w, freeing, first),
                        "{w:#x}"
                    );
                }
            }
        }
    }
}
