package vm

import (
	"strconv"
	"strings"
)

// format is a sprintf format known when the plan is prepared, split once
// into the text between its verbs and the verbs (s, v or d), so that each
// call only writes: sprintf runs twice for every reason, and reading its
// format was half of what it cost. simpleSprintf, for formats made at
// evaluation, is the same two steps; TestSimpleSprintfIsFmts holds them to
// fmt.Sprintf.
type format struct {
	text  []string // len(verbs)+1 pieces, with %% written as %
	verbs []byte
	size  int // of the text
}

// compileFormat splits f, or returns nil for a format with anything but
// plain %s, %v, %d and %%.
func compileFormat(f string) *format {
	out := &format{}
	var piece strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			piece.WriteByte(f[i])
			continue
		}
		if i+1 >= len(f) {
			return nil
		}
		i++
		switch f[i] {
		case '%':
			piece.WriteByte('%')
		case 's', 'v', 'd':
			out.text = append(out.text, piece.String())
			out.verbs = append(out.verbs, f[i])
			piece.Reset()
		default:
			return nil
		}
	}
	out.text = append(out.text, piece.String())
	for _, t := range out.text {
		out.size += len(t)
	}
	return out
}

// apply formats args with f; ok is false where fmt would be needed (see
// simpleSprintf).
func (f *format) apply(args []Value) (string, bool) {
	if len(args) != len(f.verbs) {
		return "", false
	}
	var nums [8][20]byte // integers formatted while measuring, written after
	size := f.size
	for i, a := range args {
		switch a := a.(type) {
		case String:
			if f.verbs[i] == 'd' {
				return "", false
			}
			size += len(a)
		case Int:
			if f.verbs[i] == 's' {
				return "", false
			}
			if i < len(nums) {
				size += len(strconv.AppendInt(nums[i][:0], int64(a), 10))
			} else {
				size += len(strconv.AppendInt(nil, int64(a), 10))
			}
		default:
			return "", false
		}
	}
	var b strings.Builder
	b.Grow(size)
	for i, a := range args {
		b.WriteString(f.text[i])
		switch a := a.(type) {
		case String:
			b.WriteString(string(a))
		case Int:
			if i < len(nums) {
				b.Write(strconv.AppendInt(nums[i][:0], int64(a), 10))
			} else {
				b.WriteString(strconv.FormatInt(int64(a), 10))
			}
		}
	}
	b.WriteString(f.text[len(args)])
	return b.String(), true
}
