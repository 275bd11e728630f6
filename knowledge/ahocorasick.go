package knowledge

// automaton finds every occurrence of a set of phrases in a text in one
// pass over its bytes (Aho–Corasick). It is built in about a millisecond
// for the lexicons' 1,600 phrases (the library it replaces took ten,
// most of a one-shot command's start), and is read-only after
// newAutomaton.
//
// States are numbered from 0, the root. A state's children are the edges
// edge[first[s]:first[s+1]]; the root's are also in a table by byte.
type automaton struct {
	root  [256]int32 // the root's child by byte, 0 for none
	first []int32    // by state: its first edge; one more entry ends the last
	edges []edge
	fail  []int32 // by state: the longest proper suffix that is a state
	out   []int32 // by state: the phrase ending there, -1 for none
	dict  []int32 // by state: the next state on the fail chain with a phrase, -1 for none
	lens  []int32 // by phrase: its length in bytes
}

// edge is one transition of the trie.
type edge struct {
	b  byte
	to int32
}

// newAutomaton builds the automaton of phrases (none of them empty; a
// repeated phrase is found under its first index only).
func newAutomaton(phrases []string) *automaton {
	a := &automaton{lens: make([]int32, len(phrases))}
	// The trie: children looked up in a map while it grows; edges kept
	// in creation order, each with its parent.
	type link struct {
		parent int32
		edge
	}
	size := 1 // states: at most one per byte of the phrases
	for _, ph := range phrases {
		size += len(ph)
	}
	links := make([]link, 0, size)
	child := make(map[uint32]int32, size) // parent<<8 | byte → child
	a.out = make([]int32, 1, size)
	a.out[0] = -1
	for p, ph := range phrases {
		a.lens[p] = int32(len(ph))
		s := int32(0)
		for i := 0; i < len(ph); i++ {
			key := uint32(s)<<8 | uint32(ph[i])
			t, ok := child[key]
			if !ok {
				t = int32(len(a.out))
				a.out = append(a.out, -1)
				child[key] = t
				links = append(links, link{s, edge{ph[i], t}})
			}
			s = t
		}
		if a.out[s] < 0 {
			a.out[s] = int32(p)
		}
	}
	n := len(a.out)
	// Edges grouped by parent (a counting sort keeps creation order).
	a.first = make([]int32, n+1)
	for _, l := range links {
		a.first[l.parent+1]++
	}
	for s := range n {
		a.first[s+1] += a.first[s]
	}
	a.edges = make([]edge, len(links))
	fill := make([]int32, n)
	copy(fill, a.first[:n])
	for _, l := range links {
		a.edges[fill[l.parent]] = l.edge
		fill[l.parent]++
	}
	for _, e := range a.children(0) {
		a.root[e.b] = e.to
	}
	// Failure and dictionary links, breadth first: a state's links are
	// made from those of shallower states.
	a.fail = make([]int32, n)
	a.dict = make([]int32, n)
	a.dict[0] = -1
	queue := make([]int32, 0, n)
	for _, e := range a.children(0) {
		a.fail[e.to], a.dict[e.to] = 0, -1
		queue = append(queue, e.to)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, e := range a.children(s) {
			f := a.step(a.fail[s], e.b)
			a.fail[e.to] = f
			if a.out[f] >= 0 {
				a.dict[e.to] = f
			} else {
				a.dict[e.to] = a.dict[f]
			}
			queue = append(queue, e.to)
		}
	}
	return a
}

func (a *automaton) children(s int32) []edge { return a.edges[a.first[s]:a.first[s+1]] }

// step returns the state after reading b in state s.
func (a *automaton) step(s int32, b byte) int32 {
	for s != 0 {
		for _, e := range a.edges[a.first[s]:a.first[s+1]] {
			if e.b == b {
				return e.to
			}
		}
		s = a.fail[s]
	}
	return a.root[b]
}

// each calls f with every occurrence of every phrase in text as byte
// offsets, in order of their end, and for one end the longest first.
func (a *automaton) each(text string, f func(start, end int, phrase int32)) {
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = a.step(s, text[i])
		o := s
		if a.out[o] < 0 {
			o = a.dict[o]
		}
		for ; o > 0; o = a.dict[o] {
			p := a.out[o]
			f(i+1-int(a.lens[p]), i+1, p)
		}
	}
}
