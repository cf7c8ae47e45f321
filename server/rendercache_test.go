package server

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRenderCache(t *testing.T) {
	t.Parallel()
	body := func(s string) []byte { return []byte(`{"state":"` + s + `"}`) }
	loaded := func(c *RenderCache, id string, gen uint64, lang string) string {
		b, ok := c.load(id, gen, lang)
		if !ok {
			return ""
		}
		return string(b)
	}

	t.Run("an answer is served for its generation and language only", func(t *testing.T) {
		t.Parallel()
		c := NewRenderCache(1 << 20)
		c.store("sub_a", 1, "en", body("received"))
		c.store("sub_a", 1, "zh", body("已收到"))
		require.Equal(t, string(body("received")), loaded(c, "sub_a", 1, "en"))
		require.Equal(t, string(body("已收到")), loaded(c, "sub_a", 1, "zh"))
		require.Empty(t, loaded(c, "sub_a", 2, "en"), "a later generation of the detail was never rendered")
		require.Empty(t, loaded(c, "sub_b", 1, "en"))
	})
	t.Run("a new generation drops every language of the old one", func(t *testing.T) {
		t.Parallel()
		c := NewRenderCache(1 << 20)
		c.store("sub_a", 1, "en", body("received"))
		c.store("sub_a", 1, "zh", body("received"))
		c.store("sub_a", 3, "en", body("scanning"))
		require.Empty(t, loaded(c, "sub_a", 1, "en"))
		require.Empty(t, loaded(c, "sub_a", 1, "zh"))
		require.Equal(t, string(body("scanning")), loaded(c, "sub_a", 3, "en"))
		require.Equal(t, len("sub_a")+len("en")+len(body("scanning")), c.bytes)
	})
	t.Run("an answer rendered from an older generation by a slower request is not kept", func(t *testing.T) {
		t.Parallel()
		c := NewRenderCache(1 << 20)
		c.store("sub_a", 3, "en", body("scanning"))
		c.store("sub_a", 2, "zh", body("received"))
		require.Empty(t, loaded(c, "sub_a", 2, "zh"))
		require.Equal(t, string(body("scanning")), loaded(c, "sub_a", 3, "en"))
	})
	t.Run("a detail that was not kept keeps no answer", func(t *testing.T) {
		t.Parallel()
		c := NewRenderCache(1 << 20)
		c.store("sub_a", 0, "en", body("received"))
		require.Empty(t, loaded(c, "sub_a", 0, "en"))
		require.Zero(t, c.bytes)
		var none *RenderCache
		none.store("sub_a", 1, "en", body("received"))
		require.Empty(t, loaded(none, "sub_a", 1, "en"))
	})
	t.Run("the memory bound holds", func(t *testing.T) {
		t.Parallel()
		const max = 4096
		c := NewRenderCache(max)
		big := []byte(strings.Repeat("x", max/8-20))
		for i := range 100 {
			c.store("sub_"+strings.Repeat("a", i%7)+string(rune('a'+i%26)), uint64(i+1), "en", big)
			require.LessOrEqual(t, c.bytes, max)
		}
		total := 0
		for _, e := range c.entries {
			total += e.size
		}
		require.Equal(t, total, c.bytes, "the count of bytes is the sum of the entries")
		require.NotEmpty(t, c.entries)
		c.store("sub_huge", 1, "en", []byte(strings.Repeat("x", max)))
		require.Empty(t, loaded(c, "sub_huge", 1, "en"), "an answer larger than an eighth of the bound is not kept")
	})
}
