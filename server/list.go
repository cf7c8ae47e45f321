package server

import (
	"encoding/base64"
	"strconv"

	"github.com/gin-gonic/gin"
)

// Page sizes of every list.
const (
	defaultLimit = 50
	maxLimit     = 200
)

// List is the shape of every list answer.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// page reads limit and cursor. The cursor is opaque to clients: the last ID
// of the previous page, encoded so nobody builds one by hand.
func page(c *gin.Context) (after string, limit int, err error) {
	limit = defaultLimit
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return "", 0, invalid("limit", "must be a number from 1 to 200")
		}
		limit = n
	}
	if v := c.Query("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) == 0 || len(b) > 100 {
			return "", 0, invalid("cursor", "not a cursor this API gave out")
		}
		after = string(b)
	}
	return after, limit, nil
}

// pageByNumber is page for lists keyed by a numeric row ID: the cursor
// holds the last ID of the previous page (0: the first page).
func pageByNumber(c *gin.Context) (after int64, limit int, err error) {
	cursor, limit, err := page(c)
	if err != nil || cursor == "" {
		return 0, limit, err
	}
	if after, err = strconv.ParseInt(cursor, 10, 64); err != nil || after <= 0 {
		return 0, 0, invalid("cursor", "not a cursor this API gave out")
	}
	return after, limit, nil
}

// listByNumber is listOf for lists that pageByNumber reads: the cursor is
// the last item's numeric ID.
func listByNumber[T any](items []T, limit int, id func(T) int64) List[T] {
	return listOf(items, limit, func(item T) string { return strconv.FormatInt(id(item), 10) })
}

// listOf builds a page answer; a full page gets a cursor to the next one.
func listOf[T any](items []T, limit int, id func(T) string) List[T] {
	l := List[T]{Items: items}
	if l.Items == nil {
		l.Items = []T{}
	}
	if len(items) == limit {
		l.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(id(items[len(items)-1])))
	}
	return l
}
