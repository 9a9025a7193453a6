package checkpoint

import "math/bits"

// index maps keys to packed entries (see entryOffset). It is an open
// addressing hash table with linear probing, growing by 1.25x at a load of
// 0.8, so it costs 20-25 bytes per key at any size; a Go map costs 20-39
// (its tables split all at once for uniformly hashed keys). There is no
// delete: an entry of 0 means the same as an absent key, and Key 0, never
// a lookup key, marks an empty slot. Not safe for concurrent use.
type index struct {
	slots []slot
	n     int // keys present
}

type slot struct {
	k Key
	e uint64
}

const (
	indexMinSlots = 64
	// Fibonacci hashing: spreads small or sequential keys (tests) as
	// evenly as the SHA-256 derived ones.
	indexMul = 0x9e3779b97f4a7c15
)

// home is the first slot to probe for k in a table of n slots.
func home(k Key, n int) int {
	hi, _ := bits.Mul64(uint64(k)*indexMul, uint64(n))
	return int(hi)
}

// get returns k's entry, 0 when absent.
func (x *index) get(k Key) uint64 {
	n := len(x.slots)
	if n == 0 {
		return 0
	}
	for i := home(k, n); ; {
		s := &x.slots[i]
		if s.k == k {
			return s.e
		}
		if s.k == 0 {
			return 0
		}
		if i++; i == n {
			i = 0
		}
	}
}

// set stores e as k's entry. k must not be 0.
func (x *index) set(k Key, e uint64) {
	if (x.n+1)*5 > len(x.slots)*4 {
		x.grow()
	}
	if x.put(k, e) {
		x.n++
	}
}

// put stores e for k and reports whether k is new. There is room.
func (x *index) put(k Key, e uint64) bool {
	n := len(x.slots)
	for i := home(k, n); ; {
		s := &x.slots[i]
		if s.k == k {
			s.e = e
			return false
		}
		if s.k == 0 {
			s.k, s.e = k, e
			return true
		}
		if i++; i == n {
			i = 0
		}
	}
}

func (x *index) grow() {
	old := x.slots
	x.slots = make([]slot, max(indexMinSlots, len(old)+len(old)/4))
	for _, s := range old {
		if s.k != 0 {
			x.put(s.k, s.e)
		}
	}
}

// len returns the number of keys stored (including any set to entry 0).
func (x *index) len() int { return x.n }
