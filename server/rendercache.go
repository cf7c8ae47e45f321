package server

import "sync"

// RenderCache keeps the answers to GET /v1/submissions/{id} rendered from
// details that the store's DetailCache keeps, one per language, so that a
// submission that does not change is rendered once per language, not once
// per read. An answer is kept under its submission and the generation of
// the detail it was rendered from: a change of the submission makes the
// DetailCache give a new generation, so an answer rendered before the
// change is never served after it, whatever the timing of the two caches.
type RenderCache struct {
	maxBytes int

	mu      sync.RWMutex
	entries map[string]renderedDetail // by submission
	bytes   int
}

// renderedDetail is what was rendered from one generation of a detail.
type renderedDetail struct {
	generation uint64
	answers    []renderedAnswer // a few languages: a slice beats a map
	size       int
}

type renderedAnswer struct {
	lang string
	body []byte
}

// NewRenderCache returns a cache of at most maxBytes of rendered answers;
// a nil *RenderCache keeps nothing.
func NewRenderCache(maxBytes int) *RenderCache {
	return &RenderCache{maxBytes: maxBytes, entries: map[string]renderedDetail{}}
}

// load returns the answer rendered in lang from generation of the
// submission's detail.
func (c *RenderCache) load(id string, generation uint64, lang string) ([]byte, bool) {
	if c == nil || generation == 0 {
		return nil, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[id]
	if !ok || e.generation != generation {
		return nil, false
	}
	for _, a := range e.answers {
		if a.lang == lang {
			return a.body, true
		}
	}
	return nil, false
}

// store keeps body, rendered in lang from generation of the submission's
// detail (0: a detail that was not kept, whose answer is not kept either).
// What was rendered from an earlier generation goes; an answer of an
// earlier generation than the one held, rendered by a slower request, is
// not kept. body must not be changed afterwards.
func (c *RenderCache) store(id string, generation uint64, lang string, body []byte) {
	size := len(id) + len(lang) + len(body)
	if c == nil || generation == 0 || size > c.maxBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	switch {
	case ok && e.generation > generation:
		return
	case ok && e.generation < generation:
		c.dropLocked(id)
		ok = false
	}
	if !ok {
		e = renderedDetail{generation: generation}
	}
	for _, a := range e.answers {
		if a.lang == lang {
			return
		}
	}
	// Past the bound, entries go in map order, as the DetailCache's do.
	for other := range c.entries {
		if c.bytes+size <= c.maxBytes {
			break
		}
		if other != id {
			c.dropLocked(other)
		}
	}
	if c.bytes+size > c.maxBytes {
		return
	}
	if held, ok := c.entries[id]; ok {
		c.bytes -= held.size
	}
	e.answers = append(e.answers, renderedAnswer{lang: lang, body: body})
	e.size += size
	c.entries[id] = e
	c.bytes += e.size
}

func (c *RenderCache) dropLocked(id string) {
	if e, ok := c.entries[id]; ok {
		c.bytes -= e.size
		delete(c.entries, id)
	}
}
