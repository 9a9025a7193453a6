package checkpoint

import (
	"math/rand/v2"
	"testing"
)

// TestIndexMatchesMap drives the index and a Go map with the same
// operations, across many growths, with key sets that stress the hashing.
func TestIndexMatchesMap(t *testing.T) {
	tests := []struct {
		name string
		key  func(i int) Key
	}{
		{"sequential", func(i int) Key { return Key(i + 1) }},
		{"high bits only", func(i int) Key { return Key(uint64(i+1) << 40) }},
		{"hashed", func(i int) Key { return splitmix64(uint64(i)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var x index
			want := map[Key]uint64{}
			const n = 20_000
			for i := range 3 * n {
				k := tt.key(rng.IntN(n))
				if e := rng.Uint64(); i%3 != 0 {
					x.set(k, e)
					want[k] = e
				}
				if got := x.get(k); got != want[k] {
					t.Fatalf("op %d: get(%s) = %x, want %x", i, k, got, want[k])
				}
			}
			if x.len() != len(want) {
				t.Errorf("len = %d, want %d", x.len(), len(want))
			}
			for k, e := range want {
				if got := x.get(k); got != e {
					t.Fatalf("get(%s) = %x, want %x", k, got, e)
				}
			}
			if got := x.get(tt.key(n + 5)); got != 0 {
				t.Errorf("absent key: %x", got)
			}
			if load := float64(x.len()) / float64(len(x.slots)); load > 0.8 || load < 0.6 {
				t.Errorf("load factor %.2f outside [0.6, 0.8]", load)
			}
		})
	}
	var empty index
	if empty.get(1) != 0 {
		t.Error("empty index returned an entry")
	}
}
