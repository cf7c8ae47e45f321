package scan

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

func TestZZProbe(t *testing.T) {
	engine, _ := secretEngineOnce()
	corpus := secretCorpus(t, true)
	per := map[string]time.Duration{}
	wins := map[string]int{}
	winBytes := map[string]int{}
	var total int
	for _, f := range corpus {
		total += len(f.data)
		tx := newText(f.data)
		lower := asciiLower(f.data)
		perRule := map[int][]span{}
		engine.trie.Walk(lower, func(end, n, pattern int64) bool {
			start := int(end - n + 1)
			for _, ri := range engine.byKW[pattern] {
				r := engine.rules[ri]
				perRule[ri] = append(perRule[ri], span{max(0, start-r.before), min(len(f.data), int(end)+1+r.after)})
			}
			return true
		})
		for ri, sp := range perRule {
			wr := engine.rules[ri]
			for _, w := range mergeSpans(sp) {
				w = expandWindow(f.data, tx, w)
				t0 := time.Now()
				wr.run(f.data, tx, w)
				per[wr.id] += time.Since(t0)
				wins[wr.id]++
				winBytes[wr.id] += w.end - w.start
			}
		}
	}
	ids := make([]string, 0, len(per))
	for id := range per {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return per[ids[i]] > per[ids[j]] })
	fmt.Println("total bytes", total)
	for _, id := range ids[:15] {
		r := engine.rules[0]
		for _, x := range engine.rules {
			if x.id == id {
				r = x
			}
		}
		fmt.Println(id, per[id], wins[id], winBytes[id], r.before, r.after)
	}
}
