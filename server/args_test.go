package server

import "testing"

// TestIsOpt checks isOpt against C's strcasecmp: ASCII case is ignored,
// the argument ends at its first NUL, and no other byte folds.
func TestIsOpt(t *testing.T) {
	tests := []struct {
		arg, name string
		want      bool
	}{
		{"get", "get", true},
		{"GeT", "get", true},
		{"get\x00", "get", true},
		{"GET\x00trailing", "get", true},
		{"ge\x00t", "get", false},
		{"ge\x00", "get", false},
		{"gets", "get", false},
		{"ge", "get", false},
		{"", "get", false},
		{"", "", true},
		{"\x00x", "", true},
		{"x", "", false},
		{"\u212Aeys", "keys", false}, // KELVIN SIGN folds to 'k' in Unicode, not in C
	}
	for _, tt := range tests {
		if got := isOpt([]byte(tt.arg), tt.name); got != tt.want {
			t.Errorf("isOpt(%q, %q) = %v, want %v", tt.arg, tt.name, got, tt.want)
		}
	}
}

// TestLookupFoldsASCIIOnly checks that command names fold as Redis folds
// them: ASCII letters only.
func TestLookupFoldsASCIIOnly(t *testing.T) {
	initCommands()
	names, err := newCommandNames(commands, commandOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		want bool
	}{
		{"KEYS", true},
		{"Config|GET", true},
		{"\u212Aeys", false},
		{"config|\u212Aeys", false},
	}
	for _, tt := range tests {
		if got := names.lookupFullName([]byte(tt.name)) != nil; got != tt.want {
			t.Errorf("lookupFullName(%q) found = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !names.isContainer([]byte("CONFIG")) || names.isContainer([]byte("GET")) {
		t.Errorf("isContainer(CONFIG), isContainer(GET) = %v, %v, want true, false",
			names.isContainer([]byte("CONFIG")), names.isContainer([]byte("GET")))
	}
}
