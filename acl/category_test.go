package acl

import (
	"slices"
	"testing"
)

func TestCategoryNames(t *testing.T) {
	if got := len(AllCategories()); got != 21 {
		t.Fatalf("len(AllCategories()) = %d, want 21", got)
	}
	got := (Read | String | Fast).Names()
	if want := []string{"read", "string", "fast"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, name := range AllCategories() {
		c, ok := ParseCategory(name)
		if !ok || !slices.Equal(c.Names(), []string{name}) {
			t.Errorf("ParseCategory(%q) = %v, %v", name, c, ok)
		}
	}
	if _, ok := ParseCategory("nosuch"); ok {
		t.Error("ParseCategory(nosuch) ok")
	}
	if c, ok := ParseCategory("KEYSPACE"); !ok || c != Keyspace {
		t.Errorf("ParseCategory(KEYSPACE) = %v, %v", c, ok)
	}
}
