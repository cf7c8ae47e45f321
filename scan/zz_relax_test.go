package scan

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"sort"
	"testing"
	"time"
)

func zzRelax(re *syntax.Regexp) *syntax.Regexp {
	re = zzStrip(re)
	for re.Op == syntax.OpConcat && len(re.Sub) > 1 && zzNullable(re.Sub[0]) {
		re.Sub = re.Sub[1:]
	}
	for re.Op == syntax.OpConcat && len(re.Sub) > 1 && zzNullable(re.Sub[len(re.Sub)-1]) {
		re.Sub = re.Sub[:len(re.Sub)-1]
	}
	return re
}

func zzStrip(re *syntax.Regexp) *syntax.Regexp {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	c := *re
	c.Flags &^= syntax.NonGreedy
	c.Sub = nil
	for _, s := range re.Sub {
		c.Sub = append(c.Sub, zzStrip(s))
	}
	if c.Op == syntax.OpRepeat {
		if c.Max != c.Min || c.Min > 4 {
			c.Max = -1
		}
		c.Min = min(c.Min, 8)
	}
	return &c
}

func zzNullable(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpRepeat:
		return re.Min == 0
	case syntax.OpCapture:
		return zzNullable(re.Sub[0])
	}
	return false
}

func TestZZRelax(t *testing.T) {
	engine, _ := secretEngineOnce()
	corpus := secretCorpus(t, true)
	rel := map[string]*regexp.Regexp{}
	for id, r := range engine.full.Config.Rules {
		if r.Regex == nil {
			continue
		}
		p, _ := syntax.Parse(r.Regex.String(), syntax.Perl)
		rel[id] = regexp.MustCompile(zzRelax(p).String())
	}
	fmt.Println(rel["generic-api-key"], rel["jwt"], rel["vault-service-token"])
	per := map[string]time.Duration{}
	pass := map[string]int{}
	wins := map[string]int{}
	for _, f := range corpus {
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
				ok := rel[wr.id].MatchString(string(f.data[w.start:w.end]))
				per[wr.id] += time.Since(t0)
				wins[wr.id]++
				if ok {
					pass[wr.id]++
				}
			}
		}
	}
	ids := make([]string, 0, len(per))
	for id := range per {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return per[ids[i]] > per[ids[j]] })
	for _, id := range ids[:10] {
		fmt.Println(id, per[id], wins[id], pass[id])
	}
}
