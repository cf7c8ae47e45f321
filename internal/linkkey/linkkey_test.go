package linkkey

import (
	"bytes"
	"strings"
	"testing"
)

func TestHash(t *testing.T) {
	t.Parallel()
	k, err := New(strings.Repeat("a", 32))
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(strings.Repeat("b", 32))
	if err != nil {
		t.Fatal(err)
	}
	must := func(k Key, kind, v string) []byte {
		h, err := k.Hash(kind, v)
		if err != nil {
			t.Fatalf("Hash(%s, %q): %v", kind, v, err)
		}
		if len(h) != 32 {
			t.Fatalf("hash of %d bytes", len(h))
		}
		return h
	}
	t.Run("forms of the same phone hash the same", func(t *testing.T) {
		if !bytes.Equal(must(k, Phone, "+86 138-0013-8000"), must(k, Phone, "+8613800138000")) {
			t.Fatal("differ")
		}
	})
	t.Run("an identity document is compared without case", func(t *testing.T) {
		if !bytes.Equal(must(k, IDDocument, "11010519491231002x"), must(k, IDDocument, "11010519491231002X")) {
			t.Fatal("differ")
		}
	})
	t.Run("the same digits of another kind differ", func(t *testing.T) {
		if bytes.Equal(must(k, Phone, "6222020200112233"), must(k, SettlementAccount, "6222020200112233")) {
			t.Fatal("same")
		}
	})
	t.Run("another key gives another hash", func(t *testing.T) {
		if bytes.Equal(must(k, Phone, "13800138000"), must(other, Phone, "13800138000")) {
			t.Fatal("same")
		}
	})
	t.Run("the hash does not contain the value", func(t *testing.T) {
		if bytes.Contains(must(k, Phone, "13800138000"), []byte("13800138000")) {
			t.Fatal("value in hash")
		}
	})
	for _, c := range []struct{ name, kind, value string }{
		{"an empty value", Phone, " - "},
		{"an unknown kind", "email", "a@example.com"},
	} {
		t.Run(c.name+" is refused", func(t *testing.T) {
			if _, err := k.Hash(c.kind, c.value); err == nil {
				t.Fatal("no error")
			}
		})
	}
	t.Run("the zero key refuses", func(t *testing.T) {
		if _, err := (Key{}).Hash(Phone, "13800138000"); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("a short key is refused", func(t *testing.T) {
		if _, err := New("short"); err == nil {
			t.Fatal("no error")
		}
	})
}
